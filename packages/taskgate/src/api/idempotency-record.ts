/** Where idempotency keys live in the ledger table; a module without imports, so that the constructs read it without the SDK. */

/**
 * Idempotency records live in the run ledger's table under keys of this prefix, apart from runs
 * (`<task>#<id>`: a task name cannot contain `:`). The API's role may write only such keys.
 */
export const IDEMPOTENCY_KEY_PREFIX = 'taskgate:idempotency#';
/** How long a key is held: at least this, until DynamoDB's TTL removes the record. */
export const IDEMPOTENCY_HOLD_SECONDS = 24 * 3600;

/** The ledger item key of a task's idempotency key. */
export function idempotencyRecordKey(task: string, key: string): string {
  return `${IDEMPOTENCY_KEY_PREFIX}${task}#${key}`;
}
