import { createHash, randomUUID } from 'node:crypto';
import { MAX_BODY_BYTES } from '../core/envelope';
import { PermanentError } from '../core/errors';
import type { PayloadIssue } from '../core/registry';
import { requestBody, sendTask, type GateQueue, type SendPorts, type SendRequest } from '../core/send-path';
import type { RunRecord } from '../worker/ledger/record';
import type { ApiRequest, ApiResponse, Route } from './http';
import type { ClaimOutcome, IdempotencyStore } from './idempotency';
import { parseTaskRequest, type TaskRequestBody } from './request-body';
import type { TaskCatalog } from './task-catalog';

/** The header that names a request, so that a repeat of it does nothing (Stripe's and the IETF draft's name). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** What the task routes need: the tasks, where each gate's queue is, and the stores. */
export interface TaskRouteDeps {
  readonly catalog: TaskCatalog;
  /** A gate's task queue, undefined for a gate this API cannot reach. */
  readonly queue: (gate: string) => GateQueue | undefined;
  readonly ports: SendPorts;
  readonly idempotency: IdempotencyStore;
  readonly runs: { get(task: string, id: string): Promise<RunRecord | undefined> };
  /** @default - the system clock */
  readonly now?: () => Date;
  /**
   * Takes the mark that a claimed key's message went out, once the answer no longer depends on it,
   * and must see it end (and report its error). The embedded runtime answers first and lets the
   * mark finish after: a process that lives on, whose keys end with it. Without it (the Lambda
   * function, frozen once it answers) the mark is awaited before the answer.
   */
  readonly afterAnswer?: (mark: Promise<void>) => void;
}

/**
 * A claim not marked sent after this long belongs to a request that died before it sent (the API
 * function's timeout is 10 s, its SQS call gives up within 5 s a try): a repeat then sends it.
 */
export const STALE_CLAIM_MS = 60_000;

/** What an Idempotency-Key may be: visible ASCII, short enough for a ledger key and a run id. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

const json = (status: number, body: unknown, headers?: Record<string, string>): ApiResponse => ({ status, body, ...(headers ? { headers } : {}) });

/** Whether a content type is JSON (`application/json`, `application/problem+json`, with or without parameters). */
function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || Boolean(type?.startsWith('application/') && type.endsWith('+json'));
}

function badRequest(task: string, issues: readonly PayloadIssue[]): ApiResponse {
  return json(400, { error: `request for task ${task} refused: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues });
}

/** What a repeat must match: a key reused for another request is refused, not silently answered. */
function fingerprint(task: string, body: TaskRequestBody): string {
  return createHash('sha256').update(JSON.stringify([task, body.payload, body.id ?? null, body.delaySeconds ?? null, body.at?.toISOString() ?? null])).digest('hex');
}

/**
 * `POST /tasks/{name}`: checks the request and the payload against the task's schema, holds its
 * idempotency key, then sends the task message through the one send path.
 */
async function requestTask(deps: TaskRouteDeps, request: ApiRequest, name: string): Promise<ApiResponse> {
  if (!isJson(request.headers['content-type'])) {
    return json(415, { error: `send the body as JSON (content-type application/json), not ${request.headers['content-type'] ?? 'without a content type'}` });
  }
  if (Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES) {
    return json(413, { error: `request body is larger than SQS's ${MAX_BODY_BYTES} bytes; keep large payloads in S3 and send a key` });
  }
  const task = deps.catalog.find(name);
  if (!task) return json(404, { error: deps.catalog.unknownTaskMessage(name) });
  const parsed = parseTaskRequest(request.body);
  if ('issues' in parsed) return badRequest(name, parsed.issues);
  const { body } = parsed;
  const payloadIssues = deps.catalog.checkPayload(task, body.payload).map((issue) => ({ ...issue, field: issue.field === '(payload)' ? 'payload' : `payload.${issue.field}` }));
  if (payloadIssues.length > 0) return badRequest(name, payloadIssues);
  const queue = deps.queue(task.gate);
  if (!queue) throw new Error(`no queue is known for gate ${task.gate} of task ${name}`);
  const header = request.headers[IDEMPOTENCY_HEADER];
  if (header !== undefined && !VALID_KEY.test(header)) {
    return badRequest(name, [{ field: 'Idempotency-Key', message: `must be 1-255 visible ASCII characters (a UUID, say), got ${header.length} characters` }]);
  }
  const key = header || body.id;
  const runId = body.id ?? key ?? randomUUID();
  const now = deps.now?.() ?? new Date();
  const send: SendRequest = { task: name, payload: body.payload, id: runId, source: 'api', at: body.at, delaySeconds: body.delaySeconds };
  try {
    // Before the key is claimed: a message the worker would refuse holds no key.
    requestBody(send, now);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    return error.reason === 'message-too-large' ? json(413, { error: error.message }) : badRequest(name, [{ field: '(body)', message: error.message }]);
  }
  if (key === undefined) {
    await sendTask(send, queue, deps.ports, now);
    return json(202, { runId }, runLocation(name, runId));
  }
  const hash = fingerprint(name, body);
  const claim = await deps.idempotency.claim({ task: name, key, runId, fingerprint: hash, now: now.getTime() });
  if (claim.outcome === 'repeat') return repeat(deps, { ...send, id: claim.runId }, queue, key, hash, claim, now);
  try {
    await sendTask(send, queue, deps.ports, now);
  } catch (error) {
    // Put first, then send: a failed send gives the key back, so the caller's retry can succeed.
    await deps.idempotency.release(name, key, runId);
    throw error;
  }
  await markSent(deps, name, key, runId);
  return json(202, { runId }, runLocation(name, runId));
}

/**
 * Marks the claim sent. Until the mark lands a repeat still answers the held run without sending
 * (the claim is younger than STALE_CLAIM_MS), so the answer need not wait for it where the process
 * goes on running.
 */
async function markSent(deps: TaskRouteDeps, task: string, key: string, runId: string): Promise<void> {
  const mark = deps.idempotency.markSent(task, key, runId);
  if (deps.afterAnswer) deps.afterAnswer(mark);
  else await mark;
}

/**
 * A request whose key is held: the held run, sending nothing. Unless the claim was never marked sent
 * and is older than any request could still be sending (the function died between its put and its
 * send): then the message is sent now, under the held run id, so the run is not lost (a duplicate
 * message, had the first been sent after all, is one run: the worker dedupes by run id).
 */
async function repeat(
  deps: TaskRouteDeps,
  send: SendRequest,
  queue: GateQueue,
  key: string,
  hash: string,
  claim: Extract<ClaimOutcome, { outcome: 'repeat' }>,
  now: Date,
): Promise<ApiResponse> {
  if (claim.fingerprint !== hash) {
    return json(422, { error: `Idempotency-Key "${key}" was used for a different request to task ${send.task} (run ${claim.runId}); use a new key for a new request` });
  }
  if (!claim.sent && now.getTime() - claim.claimedAt > STALE_CLAIM_MS) {
    await sendTask(send, queue, deps.ports, now);
    await markSent(deps, send.task, key, claim.runId);
  }
  return json(200, { runId: claim.runId, repeated: true }, runLocation(send.task, claim.runId));
}

function runLocation(task: string, runId: string): Record<string, string> {
  return { location: `/runs/${encodeURIComponent(task)}/${encodeURIComponent(runId)}` };
}

/** `GET /runs/{task}/{runId}`: the run as the ledger has it. */
async function readRun(deps: TaskRouteDeps, task: string, runId: string): Promise<ApiResponse> {
  if (!deps.catalog.find(task)) return json(404, { error: deps.catalog.unknownTaskMessage(task) });
  const run = await deps.runs.get(task, runId);
  if (!run) return json(404, { error: `no run ${runId} of task ${task} is recorded yet: it may still wait in its queue (or its record expired)` });
  const { status, attempts, error, reason, scheduledAt, startedAt, finishedAt, durationMs, source } = run;
  return json(200, { task, runId, status, attempts, source, scheduledAt, startedAt, finishedAt, durationMs, reason, error });
}

/**
 * The request API's task routes: `POST /tasks/{name}` and `GET /runs/{task}/{runId}`, served by the
 * API's Lambda function and by the embedded runtime's control server alike.
 *
 * @example
 * const router = createRouter(taskRoutes({ catalog, queue, ports, idempotency, runs }));
 */
export function taskRoutes(deps: TaskRouteDeps): Route[] {
  return [
    { method: 'POST', path: '/tasks/{name}', handle: (request, params) => requestTask(deps, request, params.name!) },
    { method: 'GET', path: '/runs/{task}/{runId}', handle: (_request, params) => readRun(deps, params.task!, params.runId!) },
  ];
}
