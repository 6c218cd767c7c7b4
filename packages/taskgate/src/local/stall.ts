import type { SQSRecord } from 'aws-lambda';
import { clock } from './run-log';

/**
 * When a gate's batch counts as stalled: once it has been in flight longer than its tasks'
 * timeouts. The worker ends each run at its task's timeout and records it, so an invocation still
 * running after that waits on something that does not return; without a warning its messages
 * would just vanish until the function timeout fails them and the visibility timeout brings them
 * back (13 minutes on a gate whose longest task takes 2).
 *
 * A record counts with its task's timeout, or the gate's longest when its body names no task of
 * the gate (a malformed message is moved to the DLQ at once, but it must not count as stalled
 * sooner than the runs beside it). A FIFO batch runs its records one after another, so their
 * timeouts add up; a standard batch runs them side by side.
 *
 * @returns undefined when the template names no task timeouts (a function that is no gate worker)
 */
export function stallLimit(taskTimeouts: ReadonlyMap<string, number>, fifo: boolean): ((records: readonly SQSRecord[]) => number) | undefined {
  if (taskTimeouts.size === 0) return undefined;
  const longest = Math.max(...taskTimeouts.values());
  return (records) => {
    const seconds = records.map((record) => taskTimeouts.get(taskOf(record) ?? '') ?? longest);
    return 1000 * (fifo ? seconds.reduce((a, b) => a + b, 0) : Math.max(...seconds));
  };
}

/** The warning line for each message of a stalled batch, naming the message, its task and the gate. */
export function stallWarnings(gate: string, records: readonly SQSRecord[], limitMs: number, now = new Date()): string[] {
  return records.map(
    (record) =>
      `${clock(now)}  warning: gate ${gate}: message ${record.messageId} (task ${taskOf(record) ?? '?'}) has been in flight ${Math.round(limitMs / 1000)}s, ` +
      "past its tasks' timeout, and the worker has not answered; it stays in flight until the function timeout fails the batch " +
      '(TASKGATE_TRACE=<file> traces each message through the poller and the worker thread)',
  );
}

/** The task a message names, when its body is a JSON object with a string `task`. */
function taskOf(record: SQSRecord): string | undefined {
  try {
    const task = (JSON.parse(record.body) as { task?: unknown } | null)?.task;
    return typeof task === 'string' ? task : undefined;
  } catch {
    return undefined;
  }
}
