import * as path from 'node:path';
import { localConfigPath, type LocalConfig } from './local-config';
import type { RuntimeOptions } from './options';
import type { LocalQueue } from './provision';
import type { GateRuntime } from './runtime-types';
import type { StateDirLock } from './state-lock';
import type { AppModel, TriggerModel } from './template';

/** local.json's `gates` and `tasks`, the same for the embedded and the LocalStack target. */
export function gatesAndTasks(models: AppModel[], gates: readonly GateRuntime[], queueUrls: ReadonlyMap<string, LocalQueue>): Pick<LocalConfig, 'gates' | 'tasks'> {
  return {
    gates: Object.fromEntries(gates.map((gate) => [gate.name, { queueUrl: gate.queue.url, dlqUrl: gate.deadLetterQueue?.url ?? '', concurrency: gate.concurrency }])),
    tasks: tasksOf(models, (trigger) => gates.find((gate) => gate.queue === queueUrls.get(`${trigger.stack}/${trigger.queue}`))?.name),
  };
}

/**
 * task → gate: every gate worker's `taskgate:tasks` metadata, and for a template without it, the
 * schedules' `taskgate:task` metadata and their target queue's gate.
 */
function tasksOf(models: AppModel[], gateOf: (trigger: TriggerModel & { stack: string }) => string | undefined): Record<string, string> {
  const tasks: Record<string, string> = {};
  for (const model of models) {
    for (const fn of model.functions.values()) {
      for (const task of fn.gate ? fn.tasks : []) tasks[task] = fn.gate!;
    }
    for (const trigger of [...model.rules, ...model.schedules]) {
      const gate = gateOf({ ...trigger, stack: model.stackName });
      if (trigger.task && gate) tasks[trigger.task] = gate;
    }
  }
  return tasks;
}

export function writeConfig(projectRoot: string, stateDir: string, lock: StateDirLock, options: RuntimeOptions, config: LocalConfig): string {
  // The default state dir is where the CLI looks (README, Run it locally); another --state-dir keeps its own.
  const file = options.stateDir === '.taskgate' ? localConfigPath(projectRoot) : path.join(stateDir, 'local.json');
  lock.write(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
