import { TaskTimeoutError } from '../errors';
import type { AnyTask, TaskContext } from '../task';

/**
 * Runs a task under a deadline. The signal fires at the deadline so a cooperative task stops; a task
 * that ignores it still loses the race and is recorded as timed out (its promise is left to settle
 * on its own, as nothing can cancel a JavaScript function from outside).
 */
export async function runWithDeadline(
  task: AnyTask,
  payload: unknown,
  context: Omit<TaskContext, 'signal' | 'deadline'>,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<unknown> {
  const controller = new AbortController();
  const deadline = now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TaskTimeoutError(task.name, Math.round(timeoutMs / 100) / 10);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve().then(() => task.run(payload, { ...context, signal: controller.signal, deadline })),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
