import * as fs from 'node:fs';

/**
 * Trace points of the embedded runtime's message path (poller, function host, execution
 * environment), for chasing a message that went missing: off unless `TASKGATE_TRACE` names a file,
 * which then gets one JSON line per point, `{ "t": <epoch ms>, "at": "<point>", ... }`. Synchronous
 * appends, so lines of the main thread and of the environments' threads interleave in time order
 * and nothing is lost when the process dies.
 */
export const TRACE_ENV = 'TASKGATE_TRACE';

/** The trace file, or undefined when tracing is off (read at each point, so a test can turn it on). */
export function traceFile(): string | undefined {
  return process.env[TRACE_ENV] || undefined;
}

export function trace(at: string, fields: Record<string, unknown>): void {
  const file = traceFile();
  if (file) fs.appendFileSync(file, `${JSON.stringify({ t: Date.now(), at, ...fields })}\n`);
}
