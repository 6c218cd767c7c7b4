/**
 * What a run that made one HTTP request tells the worker about the response, for the run's ledger
 * record and its metrics. A webhook task's run attaches it to what it returns or throws; the worker
 * reads it back with {@link httpExchangeOf}, so no task signature changes and a plain task has none.
 */
export interface HttpExchange {
  /** The response's status; absent when no response came (a refused connection, the timeout). */
  readonly status?: number;
  /** From sending the request to the last byte of the response (or the failure). */
  readonly durationMs: number;
  /** Bytes of response body read. */
  readonly bytes: number;
}

// A registered symbol: a task module bundled with its own copy of taskgate still meets the worker's.
const EXCHANGE = Symbol.for('taskgate.httpExchange');

/** Attaches the exchange to a run's result or error; returns that same object. */
export function withHttpExchange<T extends object>(target: T, exchange: HttpExchange): T {
  Object.defineProperty(target, EXCHANGE, { value: exchange, enumerable: false });
  return target;
}

/** The exchange a run's result or error carries, if any. */
export function httpExchangeOf(value: unknown): HttpExchange | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as { [EXCHANGE]?: HttpExchange })[EXCHANGE];
}
