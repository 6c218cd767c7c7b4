import * as path from 'node:path';
import { startEmbedded } from './embedded';
import { startLocalStackScheduler } from './localstack-target';
import type { RuntimeOptions } from './options';
import type { LocalRuntime, RuntimeOutput } from './runtime-types';
import { stackEnvironment } from './stack-environment';
import { StateDirLock } from './state-lock';
import { synthesize } from './synth';
import { readTemplate } from './template';

export type { GateRuntime, LocalRuntime, RuntimeOutput, StopSummary } from './runtime-types';

/**
 * The embedded runtime behind `taskgate dev`: everything docs/architecture.md's embedded-runtime section describes, read
 * from the synthesized template.
 */
export async function startRuntime(projectRoot: string, options: RuntimeOptions, out: RuntimeOutput): Promise<LocalRuntime> {
  const stateDir = path.resolve(projectRoot, options.stateDir);
  // First: a second runtime on this state dir would overwrite the first's cdk.out and local.json.
  const lock = StateDirLock.acquire(stateDir, options.stateDir);
  out.line(`taskgate: starting; synthesizing the app${options.app ? ` (${options.app})` : ''}...`);
  const synth = async () => {
    const assembly = await synthesize(projectRoot, path.join(stateDir, 'cdk.out'), options.app);
    return assembly.stacks.map((stack) => readTemplate(stack.templateFile, stack.name, stackEnvironment(stack.environment)));
  };
  try {
    return options.target === 'localstack'
      ? await startLocalStackScheduler(projectRoot, stateDir, lock, await synth(), options, out)
      : await startEmbedded(projectRoot, stateDir, lock, synth, options, out);
  } catch (error) {
    lock.release();
    throw error;
  }
}
