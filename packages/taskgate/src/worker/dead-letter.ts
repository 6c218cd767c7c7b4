import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { sqsModule } from './sqs-lazy';
import type { SQSRecord } from 'aws-lambda';
import type { PermanentReason } from '../core/errors';
import * as z from 'zod/mini';

/**
 * The one message attribute taskgate adds to a dead letter: a JSON object of {@link DeadLetterFacts}.
 * One attribute, not one per fact, so that a message keeps as many of its own as SQS allows (10 in
 * all). Names `taskgate` and `taskgate.*` are taskgate's; this module alone writes and reads them.
 */
export const DEAD_LETTER_ATTRIBUTE = 'taskgate';

/** What taskgate records about a dead letter, as `taskgate dlq` shows it. */
export interface DeadLetterFacts {
  /** A {@link PermanentReason}; read back as a string, so that a newer worker's reason still shows. */
  readonly reason: string;
  readonly error: string;
  readonly task?: string;
  readonly attempts: number;
  /** ISO time the worker moved the message. */
  readonly failedAt: string;
}

/** SQS's limit of message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** A message's own attributes that stay attributes in the DLQ; the rest move into the JSON's `overflow`. */
export const OWN_ATTRIBUTES_KEPT = MAX_MESSAGE_ATTRIBUTES - 1;
/** The most UTF-8 bytes the error takes in the attribute (escapes counted): a reason, not a log. */
export const MAX_ERROR_BYTES = 4096;
const MAX_TASK_BYTES = 256;

/**
 * Sends a record to the gate's DLQ with the reason in the `taskgate` attribute. The original body is
 * kept as it was, so a redrive replays exactly what was sent. The caller then lets the record count
 * as processed, which deletes it from the task queue.
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  record: SQSRecord,
  failure: { reason: PermanentReason; message: string; task?: string; attempts: number },
): Promise<void> {
  const facts = { reason: failure.reason, error: failure.message, task: failure.task, attempts: failure.attempts, failedAt: new Date().toISOString() };
  const fifo = deadLetterQueueUrl.endsWith('.fifo');
  const { SendMessageCommand } = await sqsModule();
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageAttributes: deadLetterAttributes(facts, ownAttributes(recordAttributes(record))),
      // A FIFO DLQ needs a group; keep the original's so a redrive preserves order.
      ...(fifo ? { MessageGroupId: record.attributes.MessageGroupId ?? 'taskgate', MessageDeduplicationId: record.messageId } : {}),
    }),
  );
}

/**
 * A dead letter's attributes: the message's own first {@link OWN_ATTRIBUTES_KEPT} by name (ASCII
 * order), then `taskgate` with the facts and, in `overflow`, the own attributes past those (a
 * message sent with 10). Every value is one SQS accepts: see {@link encodeJson}.
 */
export function deadLetterAttributes(facts: DeadLetterFacts, own: Readonly<Record<string, MessageAttributeValue>>): Record<string, MessageAttributeValue> {
  const names = Object.keys(own).sort();
  const kept = names.slice(0, OWN_ATTRIBUTES_KEPT);
  const moved = names.slice(OWN_ATTRIBUTES_KEPT);
  const stored: StoredFacts = {
    reason: facts.reason,
    error: capEncoded(facts.error, MAX_ERROR_BYTES),
    ...(facts.task === undefined ? {} : { task: capEncoded(facts.task, MAX_TASK_BYTES) }),
    attempts: facts.attempts,
    failedAt: facts.failedAt,
    ...(moved.length > 0 ? { overflow: Object.fromEntries(moved.map((name) => [name, storedValue(own[name]!)])) } : {}),
  };
  return {
    ...Object.fromEntries(kept.map((name) => [name, own[name]!])),
    [DEAD_LETTER_ATTRIBUTE]: { DataType: 'String', StringValue: encodeJson(stored) },
  };
}

/** taskgate's facts of a received dead letter; undefined when SQS moved it itself (after maxReceiveCount). */
export function readDeadLetter(attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): DeadLetterFacts | undefined {
  const stored = readStored(attributes);
  if (!stored) return undefined;
  return { reason: stored.reason, error: stored.error, task: stored.task, attempts: stored.attempts, failedAt: stored.failedAt };
}

/**
 * A message's own attributes: without taskgate's, with the ones a dead-lettering moved into the JSON
 * put back. What a redrive sends, and what the worker keeps when a redriven message fails again (an
 * SQS message move task moves a dead letter with its attributes as they are). Values SQS would
 * refuse (empty) are left out: SQS never delivers one, so only a hand-made message has them. So
 * are `overflow` entries SQS would refuse as attributes (a bad name or type, a character outside
 * its set): only a message sent with its own `taskgate` attribute has them, and putting them back
 * would make SQS refuse the dead letter itself.
 */
export function ownAttributes(attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): Record<string, MessageAttributeValue> {
  const own: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(readStored(attributes)?.overflow ?? {})) {
    if (sqsAcceptsAttribute(name, value)) own[name] = attributeValue(value);
  }
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name !== DEAD_LETTER_ATTRIBUTE && !name.startsWith(`${DEAD_LETTER_ATTRIBUTE}.`)) own[name] = value;
  }
  return Object.fromEntries(Object.entries(own).filter(([, value]) => sendable(value)));
}

/**
 * The stored JSON; `overflow` holds own attributes past the first 9, binary values in base64.
 * Built on first use: only reading a dead letter back (a redrive, the CLI) needs it, not a cold start.
 */
function buildStoredSchema() {
  return z.object({
    reason: z.string(),
    error: z.string(),
    task: z.optional(z.string()),
    attempts: z.number(),
    failedAt: z.string(),
    overflow: z.optional(z.record(z.string(), z.object({ DataType: z.string(), StringValue: z.optional(z.string()), BinaryValue: z.optional(z.string()) }))),
  });
}
let storedSchema: ReturnType<typeof buildStoredSchema> | undefined;
type StoredFacts = z.infer<ReturnType<typeof buildStoredSchema>>;
type StoredValue = NonNullable<StoredFacts['overflow']>[string];

function readStored(attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): StoredFacts | undefined {
  const text = attributes?.[DEAD_LETTER_ATTRIBUTE]?.StringValue;
  if (text === undefined) return undefined;
  try {
    const parsed = (storedSchema ??= buildStoredSchema()).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Not JSON: not ours (a message sent with its own `taskgate` attribute); it shows as SQS's own move.
    return undefined;
  }
}

function storedValue(value: MessageAttributeValue): StoredValue {
  return value.BinaryValue !== undefined
    ? { DataType: value.DataType ?? 'Binary', BinaryValue: Buffer.from(value.BinaryValue).toString('base64') }
    : { DataType: value.DataType ?? 'String', StringValue: value.StringValue };
}

function attributeValue(value: StoredValue): MessageAttributeValue {
  return value.BinaryValue !== undefined ? { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue, 'base64') } : { DataType: value.DataType, StringValue: value.StringValue };
}

/** SQS's rules for a message attribute's name and type, and the characters of a string value. */
const ATTRIBUTE_NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)(?!(?:aws|amazon)\.)[A-Za-z0-9_.-]{1,256}$/i;
const ATTRIBUTE_TYPE = /^(String|Number|Binary)(\.[^\s]+)?$/;

function sqsAcceptsAttribute(name: string, value: StoredValue): boolean {
  NOT_SQS_CHARACTER.lastIndex = 0;
  return ATTRIBUTE_NAME.test(name) && ATTRIBUTE_TYPE.test(value.DataType) && (value.StringValue === undefined || !NOT_SQS_CHARACTER.test(value.StringValue));
}

function sendable(value: MessageAttributeValue): boolean {
  return Boolean(value.DataType) && (value.BinaryValue !== undefined ? value.BinaryValue.length > 0 : Boolean(value.StringValue));
}

/** A Lambda SQS record's attributes in the SDK's shape (binary values come base64-encoded). */
function recordAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(record.messageAttributes ?? {}).map(([name, value]) => [
      name,
      value.binaryValue !== undefined
        ? { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }
        : { DataType: value.dataType, StringValue: value.stringValue },
    ]),
  );
}

/**
 * SQS takes in an attribute value only XML 1.0's characters: tab, LF, CR, U+0020-U+D7FF,
 * U+E000-U+FFFD, U+10000-U+10FFFF. Anything else (an ANSI colour code's ESC, NUL, a lone surrogate)
 * fails the whole send, and the reason with it.
 */
const NOT_SQS_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * JSON whose text SQS accepts and which decodes to exactly the value given: JSON.stringify already
 * writes control characters and lone surrogates as `\uXXXX`; the two it leaves (U+FFFE, U+FFFF) get
 * the same escape here. Those can only stand inside JSON strings, where an escape means the same.
 */
function encodeJson(value: unknown): string {
  return JSON.stringify(value).replace(NOT_SQS_CHARACTER, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `text` cut so that its JSON-encoded form (escapes included) takes at most `maxBytes` UTF-8 bytes,
 * at a character boundary, with a note of how long it was. Bytes, not characters: SQS counts bytes.
 */
function capEncoded(text: string, maxBytes: number): string {
  const note = (total: number) => ` [cut: ${total} bytes in all]`;
  const room = maxBytes - note(Number.MAX_SAFE_INTEGER).length;
  let bytes = 0;
  let end = 0;
  let cutAt = 0;
  for (const char of text) {
    bytes += encodedBytes(char.codePointAt(0)!);
    if (bytes > maxBytes) return `${text.slice(0, cutAt)}${note(Buffer.byteLength(text))}`;
    end += char.length;
    if (bytes <= room) cutAt = end;
  }
  return text;
}

/** UTF-8 bytes one code point takes once {@link encodeJson} has written it. */
function encodedBytes(codePoint: number): number {
  if (codePoint === 0x22 || codePoint === 0x5c) return 2; // \" and \\
  if (codePoint < 0x20) return [0x08, 0x09, 0x0a, 0x0c, 0x0d].includes(codePoint) ? 2 : 6; // \n ... or \u001b
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if ((codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint >= 0xfffe && codePoint <= 0xffff) return 6; // \udXXX, \ufffe
  return codePoint < 0x10000 ? 3 : 4;
}
