import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TaskgateError } from '../../core/errors';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` carries
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per active secret, space-separated, so a
 * secret rotates without a failed verification. Only node:crypto; no secret value ever goes into an
 * error message.
 */

/** The Standard Webhooks header names, lower case. */
export const WEBHOOK_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

const PREFIX = 'whsec_';
/** The specification's bounds for a symmetric secret. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const MAX_SECRETS = 2;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A secret or a signature that is not what the specification allows; never quotes the secret. */
export class WebhookSecretError extends TaskgateError {
  override name = 'WebhookSecretError';
}

/** A request whose headers or signature do not verify. */
export class WebhookVerificationError extends TaskgateError {
  override name = 'WebhookVerificationError';
}

/**
 * The keys in a secret value: one or two secrets separated by white space, each `whsec_<base64>`
 * (the prefix may be left out) of 24 to 64 bytes. This is the format of the gate's secret in
 * Secrets Manager, of `TASKGATE_WEBHOOK_SECRET_<GATE>` and of `.taskgate/secrets/<gate>`.
 *
 * @param where names the value's source in errors (never the value itself)
 */
export function parseSecrets(value: string | readonly string[], where = 'the webhook secret'): Buffer[] {
  const parts = (typeof value === 'string' ? [value] : value).flatMap((item) => item.split(/\s+/)).filter(Boolean);
  if (parts.length === 0) throw new WebhookSecretError(`${where} is empty; it holds one or two whsec_<base64> secrets separated by a space`);
  if (parts.length > MAX_SECRETS) {
    throw new WebhookSecretError(`${where} holds ${parts.length} secrets; at most ${MAX_SECRETS} are active at once (the new one and the one being retired)`);
  }
  return parts.map((part, index) => {
    const encoded = part.startsWith(PREFIX) ? part.slice(PREFIX.length) : part;
    const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (!key || key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      throw new WebhookSecretError(
        `secret ${index + 1} in ${where} is not whsec_ followed by the base64 of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} random bytes${key ? ` (it decodes to ${key.length} bytes)` : ''}`,
      );
    }
    return key;
  });
}

/** `v1,<signature>` for each key, space-separated: the `webhook-signature` header's value. */
export function signatureHeader(keys: readonly Buffer[], id: string, timestampSeconds: number, body: string): string {
  return keys.map((key) => `v1,${signature(key, id, timestampSeconds, body)}`).join(' ');
}

function signature(key: Buffer, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
}

/** Characters a header value may hold as is, and the length past which an id is shortened. */
const HEADER_SAFE_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The `webhook-id` of a run: the run id itself, so a receiver deduplicates deliveries of one run.
 * A run id a header cannot carry as is (a space, a control or non-ASCII character, over 200
 * characters) becomes `tg_` and 32 base64url characters of SHA-256(task, run id): stable across
 * the run's retries, and different for two tasks.
 */
export function webhookId(task: string, runId: string): string {
  if (HEADER_SAFE_ID.test(runId)) return runId;
  return `tg_${createHash('sha256').update(`${task}\n${runId}`).digest('base64url').slice(0, 32)}`;
}

/** What {@link verifyWebhook} accepts as headers: a fetch `Headers`, or Node's `IncomingHttpHeaders`. */
export type WebhookRequestHeaders = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /**
   * How far `webhook-timestamp` may be from now, either way, in seconds: the replay window.
   * @default 300
   */
  readonly toleranceSeconds?: number;
  /** @default - the current time */
  readonly now?: Date;
}

/** A verified request's id (deduplicate on it) and signing time. */
export interface VerifiedWebhook {
  readonly id: string;
  readonly timestamp: Date;
}

/**
 * Verifies a Standard Webhooks request, for receivers written in TypeScript. Pass the body exactly
 * as received (not parsed and serialized again). Throws {@link WebhookVerificationError} saying
 * what is wrong; succeeds when any `v1` signature matches any of the secrets.
 *
 * @param secrets the receiver's secret(s): `whsec_...`, or two of them during a rotation
 *
 * @example
 * const { id } = verifyWebhook(process.env.PARTNER_SECRET!, req.headers, rawBody, { toleranceSeconds: 300 });
 */
export function verifyWebhook(secrets: string | readonly string[], headers: WebhookRequestHeaders, body: string | Uint8Array, options: VerifyOptions = {}): VerifiedWebhook {
  const keys = parseSecrets(secrets, 'the secrets given to verifyWebhook');
  const id = header(headers, WEBHOOK_HEADERS.id);
  const timestampText = header(headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(headers, WEBHOOK_HEADERS.signature);
  if (!/^\d{1,12}$/.test(timestampText)) throw new WebhookVerificationError(`${WEBHOOK_HEADERS.timestamp} is not whole seconds since 1970`);
  const timestamp = Number(timestampText);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(`${WEBHOOK_HEADERS.timestamp} is ${now - timestamp}s from now, outside the tolerance of ${tolerance}s (a replay, or a clock off)`);
  }
  const expected = keys.map((key) => Buffer.from(signature(key, id, timestamp, body), 'base64'));
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const given = Buffer.from(value, 'base64');
    if (expected.some((mine) => mine.length === given.length && timingSafeEqual(mine, given))) return { id, timestamp: new Date(timestamp * 1000) };
  }
  throw new WebhookVerificationError(`no ${WEBHOOK_HEADERS.signature} entry matches the body with the given secret(s)`);
}

function header(headers: WebhookRequestHeaders, name: string): string {
  let value: string | readonly string[] | null | undefined;
  if (typeof headers.get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  const text = Array.isArray(value) ? value.join(' ') : (value as string | null | undefined);
  if (!text) throw new WebhookVerificationError(`the request has no ${name} header`);
  return text;
}
