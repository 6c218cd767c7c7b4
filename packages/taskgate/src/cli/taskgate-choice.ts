import { closest } from '../core/registry';
import type { AppTaskgate } from '../local/taskgates';
import { CliError } from './errors';

/** `--taskgate NAME`, else the environment's TASKGATE_NAME. */
export function wantedTaskgate(options: { readonly taskgate?: string }): string | undefined {
  return options.taskgate ?? (process.env.TASKGATE_NAME || undefined);
}

/**
 * Which of `keys` (the Taskgates of `where`, by the names `--taskgate` takes) a command addresses:
 * the one wanted, or the only one. Undefined where there is none to choose; a CliError, listing
 * the names, where the wanted one is not there or several are and none is wanted.
 */
export function chooseTaskgateKey(keys: readonly string[], wanted: string | undefined, where: string): string | undefined {
  if (wanted !== undefined) {
    if (keys.includes(wanted)) return wanted;
    const suggestion = closest(wanted, keys);
    throw new CliError(`no Taskgate named "${wanted}" in ${where}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; its Taskgates: ${keys.join(', ') || 'none'}`);
  }
  if (keys.length > 1) throw new CliError(`${where} has several Taskgates: ${keys.join(', ')}; say which with --taskgate NAME (or TASKGATE_NAME)`);
  return keys[0];
}

/** The Taskgate of `taskgates` a command addresses (see {@link chooseTaskgateKey}). */
export function chooseTaskgate(taskgates: readonly AppTaskgate[], wanted: string | undefined, where: string): AppTaskgate | undefined {
  const key = chooseTaskgateKey(
    taskgates.map((taskgate) => taskgate.key),
    wanted,
    where,
  );
  return taskgates.find((taskgate) => taskgate.key === key);
}
