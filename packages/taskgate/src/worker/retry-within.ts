/** The first pause before trying again; it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2_000;

/**
 * Runs `call` until it succeeds or the next try would start more than `budgetMs` after the first
 * (wall time: a hung call counts), then throws its last error. For the worker's writes after a run's effects have happened (the ledger
 * outcome, the move to the DLQ): failing them would redeliver the record and repeat the effects,
 * so they get more than the SDK's own three quick tries, within the invocation's time.
 */
export async function retryWithin<T>(call: () => Promise<T>, budgetMs: number): Promise<T> {
  const giveUpAt = Date.now() + budgetMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() + pause > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
