import { PermanentError } from './errors';

/** Where a task message came from; informational, recorded in the ledger. */
export const SOURCES = ['schedule', 'manual', 'once', 'chain', 'api'] as const;
export type TaskSource = (typeof SOURCES)[number];

/**
 * The task message: the SQS body, JSON. A public contract (docs/architecture.md); anything else in the body
 * is rejected so that a typo in a field name is not silently ignored.
 */
export interface TaskMessage {
  readonly task: string;
  readonly payload?: unknown;
  readonly id?: string;
  readonly scheduledAt?: string;
  readonly source?: TaskSource;
}

/** The message with its defaults filled from the SQS record. */
export interface Envelope {
  readonly task: string;
  readonly payload: unknown;
  readonly id: string;
  readonly scheduledAt: Date;
  readonly source: TaskSource;
}

/** SQS's own limit; a bigger body cannot have been sent through SQS and is refused outright. */
export const MAX_BODY_BYTES = 256 * 1024;
const FIELDS = new Set(['task', 'payload', 'id', 'scheduledAt', 'source']);
const MAX_ID_LENGTH = 512;

/** The SQS record facts the envelope falls back on. */
export interface RecordFacts {
  readonly messageId: string;
  /** Epoch milliseconds at which SQS first received the message. */
  readonly sentTimestamp: number;
}

/** A message that passed every check of the contract: its own fields, `scheduledAt` parsed, no defaults filled. */
export interface CheckedMessage {
  readonly task: string;
  readonly payload?: object;
  readonly id?: string;
  readonly scheduledAt?: Date;
  readonly source?: TaskSource;
}

/**
 * Checks a message body against the contract. Hand-written rather than a schema: it runs on every
 * record (the hot path) and each failure needs its own actionable message. The worker calls it on
 * every record it receives, and the CLI on every body before it sends one, so what the CLI reports
 * as sent is what the worker accepts: the limits live here and nowhere else.
 *
 * @throws PermanentError with reason invalid-json, invalid-envelope or message-too-large.
 * @example
 * checkTaskMessage(JSON.stringify({ task: 'cleanup-stray-instances', id: '' })) // throws: "id" must be a string of 1-512 characters
 */
export function checkTaskMessage(body: string): CheckedMessage {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: count bytes only when the body could be too large.
  if (body.length * 3 > MAX_BODY_BYTES && Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    throw new PermanentError(`message body is larger than ${MAX_BODY_BYTES} bytes; keep large payloads in S3 and send a key`, {
      reason: 'message-too-large',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new PermanentError(`message body is not JSON (${(error as Error).message}); send {"task":"<name>","payload":{...}}`, {
      reason: 'invalid-json',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(`message body must be a JSON object like {"task":"<name>"}, got ${describe(parsed)}`);
  }
  const message = parsed as Record<string, unknown>;
  let extra: string[] | undefined;
  for (const key in message) if (!FIELDS.has(key)) (extra ??= []).push(key);
  if (extra) {
    throw invalid(`unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')} in the message; allowed: ${[...FIELDS].join(', ')}`);
  }
  const { task, payload, id, scheduledAt, source } = message;
  if (typeof task !== 'string' || task.length === 0) {
    throw invalid(`"task" must be a non-empty string naming the task, got ${describe(task)}`);
  }
  if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
    throw invalid(`"payload" must be a JSON object when given, got ${describe(payload)}`);
  }
  if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH)) {
    throw invalid(`"id" must be a string of 1-${MAX_ID_LENGTH} characters when given, got ${describe(id)}`);
  }
  let due: Date | undefined;
  if (scheduledAt !== undefined) {
    due = typeof scheduledAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(scheduledAt) ? new Date(scheduledAt) : new Date(NaN);
    if (Number.isNaN(due.getTime())) {
      throw invalid(`"scheduledAt" must be an ISO-8601 date-time such as 2026-11-22T12:00:00Z, got ${describe(scheduledAt)}`);
    }
  }
  if (source !== undefined && !(SOURCES as readonly unknown[]).includes(source)) {
    throw invalid(`"source" must be one of ${SOURCES.join(', ')}, got ${describe(source)}`);
  }
  // The parsed object itself, its fields checked: no copy on the hot path.
  if (due) message.scheduledAt = due;
  return message as unknown as CheckedMessage;
}

/**
 * The envelope of a received record: the checked message with its defaults filled from the record.
 *
 * @throws PermanentError as checkTaskMessage does.
 */
export function parseEnvelope(body: string, facts: RecordFacts): Envelope {
  const message = checkTaskMessage(body);
  return {
    task: message.task,
    payload: message.payload ?? {},
    id: message.id ?? facts.messageId,
    scheduledAt: message.scheduledAt ?? new Date(facts.sentTimestamp),
    source: message.source ?? 'api',
  };
}

function invalid(message: string): PermanentError {
  return new PermanentError(message, { reason: 'invalid-envelope' });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
