import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod';
import { defineTask, type AnyTask } from '../core/task';
import type { TaskMetadata } from '../core/task-metadata';
import { synthesize } from '../local/synth';
import { readTemplate, type AppModel } from '../local/template';
import { CliError } from './errors';

/**
 * The app's tasks as the CLI knows them: from the template's `taskgate:tasks` metadata, never from
 * an import of the app's code. Each payload schema is rebuilt from its JSON Schema, so `trigger`
 * checks a payload before sending it; the worker checks it again with the task's own schema.
 */
export function tasksFromMetadata(metadata: readonly TaskMetadata[]): AnyTask[] {
  return metadata.map((task) =>
    defineTask({
      name: task.name,
      description: task.description,
      gate: task.gate,
      payload: z.fromJSONSchema(task.payload as z.core.JSONSchema.JSONSchema),
      timeout: task.timeoutSeconds,
      retry: task.retry,
      misfire: task.misfire,
      // A template synthesized before the option existed has none: the default applies.
      overlap: task.overlap,
      run: () => {
        throw new CliError(`task ${task.name} runs in its gate's worker, not in the CLI`);
      },
    }),
  );
}

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
