import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesize } from '../local/synth';
import { readTemplate, type AppModel } from '../local/template';
import { CliError } from './errors';

/** The app's tasks from the template's metadata, never from an import of the app's code. */
export { tasksFromMetadata } from '../core/metadata-tasks';

/** The folder of the CDK app the CLI runs in: the nearest one up from `from` with a cdk.json. */
export function findAppRoot(from: string = process.cwd()): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'cdk.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The templates of a synthesized app (a cdk.out folder), or undefined when it holds none. */
export function modelsIn(cdkOut: string): AppModel[] | undefined {
  const manifestFile = path.join(cdkOut, 'manifest.json');
  if (!fs.existsSync(manifestFile)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
    .map(([name, artifact]) => readTemplate(path.join(cdkOut, artifact.properties!.templateFile!), name));
}

/** Synthesizes the CDK app of the working directory (cdk.json's `app`) into a temporary folder and reads its templates. */
export async function synthesizeAppHere(): Promise<AppModel[]> {
  const root = findAppRoot();
  if (!root) throw new CliError(`no cdk.json in ${process.cwd()} or above; run taskgate in your CDK app's folder, or pass --stack NAME`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-synth-'));
  try {
    const assembly = await synthesize(root, outdir);
    return assembly.stacks.map((stack) => readTemplate(stack.templateFile, stack.name));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
