import { Logger, LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import type { TaskLogger } from '../core/task';

/**
 * The worker's logger: Powertools Logger, its lines formatted as Powertools formats them (level,
 * sampling, persistent keys, X-Ray trace id), but the info and debug lines of one event-loop turn
 * written to stdout together, in one write, instead of one `console.info` each. A write was a third
 * of the worker's per-record cost with a line per run (bench/worker.ts); each line is still its own
 * line, which CloudWatch Logs keeps as its own event.
 *
 * Lines wait at most until the next turn of the event loop (a task that awaits lets them out) or
 * {@link RunLog.flushLines}, which the worker calls at the end of every batch, before the
 * invocation returns and Lambda may freeze the environment. Warnings and errors are not held: they
 * go out at once, after the lines before them.
 */
export class RunLog extends Logger {
  private pending = '';
  private scheduled = false;
  private readonly flushSoon = () => {
    this.scheduled = false;
    this.flushLines();
  };
  /** POWERTOOLS_DEV prints indented lines through the global console: left to Powertools as it is. */
  private readonly development = isTruthy(process.env.POWERTOOLS_DEV);
  /** A replacer of the caller's must see every line. */
  private readonly customReplacer: boolean;

  constructor(options: ConstructorParameters<typeof Logger>[0] = {}) {
    super(options);
    this.customReplacer = options.jsonReplacerFn !== undefined;
  }

  /** Writes the lines held so far. */
  flushLines(): void {
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    process.stdout.write(lines);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (this.development || logLevel >= LogLevelThreshold.WARN) {
      this.flushLines();
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    const attributes = log.getAttributes();
    // Powertools' replacer (errors, bigints, circular references) is a function call per key; a line of
    // only primitive values, the run lines, comes out the same without it, in about half the time.
    this.pending += `${!this.customReplacer && flatPrimitives(attributes) ? JSON.stringify(attributes) : JSON.stringify(attributes, this.getJsonReplacer())}\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }
}

/** A logger that holds lines until {@link RunLog.flushLines}: the worker flushes it once per batch. */
export function flushesLines(logger: TaskLogger): logger is TaskLogger & Pick<RunLog, 'flushLines'> {
  return typeof (logger as Partial<RunLog>).flushLines === 'function';
}

/** Whether every value is a string, number, boolean, null or undefined: what JSON writes as is. */
function flatPrimitives(attributes: Record<string, unknown>): boolean {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== null && value !== undefined && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
  }
  return true;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'on', 'yes', 'y'].includes(value.trim().toLowerCase());
}
