/** The first pause before trying again; it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2_000;

/**
 * Runs `call` until it succeeds or the next try would start more than `budgetMs` after the first
 * (wall time: a hung call counts), then throws its last error. For the worker's writes after a run's effects have happened (the ledger
 * outcome, the move to the DLQ): failing them would redeliver the record and repeat the effects,
 * so they get more than the SDK's own three quick tries, within the invocation's time.
 */
export function retryWithin<T>(call: () => Promise<T>, budgetMs: number): Promise<T>;
/** As above, but the last error goes to `giveUp`, whose answer the promise resolves to: one handler on the first try instead of two. */
export function retryWithin<T, F>(call: () => Promise<T>, budgetMs: number, giveUp: (error: unknown) => F): Promise<T | F>;
export function retryWithin<T, F>(call: () => Promise<T>, budgetMs: number, giveUp?: (error: unknown) => F): Promise<T | F> {
  const giveUpAt = Date.now() + budgetMs;
  // The first try without the loop's async frame: it is the one that nearly always succeeds.
  let first: Promise<T>;
  try {
    first = call();
  } catch (error) {
    first = Promise.reject(error);
  }
  return first.catch((error: unknown) => {
    if (Date.now() + FIRST_PAUSE_MS > giveUpAt) {
      if (giveUp) return giveUp(error);
      throw error;
    }
    const retried = retryAfterPauses(call, giveUpAt);
    return giveUp ? retried.catch(giveUp) : retried;
  });
}

async function retryAfterPauses<T>(call: () => Promise<T>, giveUpAt: number): Promise<T> {
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    try {
      return await call();
    } catch (error) {
      if (Date.now() + Math.min(pause * 2, MAX_PAUSE_MS) > giveUpAt) throw error;
    }
  }
}
