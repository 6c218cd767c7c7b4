import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CloudAssembly {
  /** The folder the app was synthesized into. */
  readonly outdir: string;
  /** The stack's name, its template file and its `aws://account/region` environment. */
  readonly stacks: ReadonlyArray<{ readonly name: string; readonly templateFile: string; readonly environment?: string }>;
}

/**
 * Synthesizes the app the way `cdk synth` does: runs cdk.json's `app` command with CDK_OUTDIR set,
 * so the template (and the worker bundles) are exactly what `cdk deploy` would ship.
 */
export async function synthesize(projectRoot: string, outdir: string, appCommand?: string): Promise<CloudAssembly> {
  const cdkJsonFile = path.join(projectRoot, 'cdk.json');
  // An --app command needs no cdk.json; its context applies when there is one.
  const cdkJson = (fs.existsSync(cdkJsonFile) || !appCommand ? JSON.parse(fs.readFileSync(cdkJsonFile, 'utf8')) : {}) as { app?: string; context?: object };
  const app = appCommand ?? cdkJson.app;
  if (!app) throw new Error(`cdk.json in ${projectRoot} has no "app" command; add one or pass --app "<command>"`);
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(app, {
      cwd: projectRoot,
      shell: true,
      stdio: ['ignore', 'inherit', 'pipe'],
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        // The CLI turns asset metadata on; without it the template does not say where each bundle is.
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true }),
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`synthesizing the app (${app}) failed with exit code ${code}:\n${stderr.trim()}`)),
    );
  });
  return assemblyStacks(outdir);
}

/** The stacks of the cloud assembly in `outdir`, from its manifest. */
export function assemblyStacks(outdir: string): CloudAssembly {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; displayName?: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
    .map(([name, artifact]) => ({ name: artifact.displayName ?? name, templateFile: path.join(outdir, artifact.properties!.templateFile!), environment: artifact.environment }));
  if (stacks.length === 0) throw new Error(`the app synthesized no stack into ${outdir}`);
  return { outdir, stacks };
}
