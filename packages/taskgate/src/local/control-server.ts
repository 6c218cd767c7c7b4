import * as http from 'node:http';
import type { ApiRouter } from '../api/router';
import type { OnceSchedules } from './once-schedules';
import { handleSchedulerApi, isSchedulerApiPath, isSchedulerSdkRequest, schedulerApiUnavailable } from './scheduler-api';
import type { ScheduleView } from './scheduler';
import { closeServer, listen, type EmbeddedServer, type PortSetting } from './servers';
import { RequestGuard, type Refusal } from '../ui/guard';
import type { UiRoutes } from '../ui/server';

/** What the control server reads and changes; the runtime provides it. */
export interface ControlTarget {
  list(): ScheduleView[];
  pause(name: string): ScheduleView | undefined;
  resume(name: string): ScheduleView | undefined;
  fire(name: string): Promise<ScheduleView | undefined>;
  names(): string[];
  /** Gates and their queues, for the page and `GET /api/gates`. */
  gates(): Promise<object[]>;
  /** The one-time schedules behind the EventBridge Scheduler API; absent where another service serves it (LocalStack). */
  readonly onceSchedules?: OnceSchedules;
  /** The operator page (`taskgate ui`'s) and its API, once the runtime is up. */
  ui?(): UiRoutes | undefined;
  /** The request API (`POST /tasks/{name}`, `GET /runs/{task}/{runId}`, …), once the runtime is up. */
  api?(): ApiRouter | undefined;
}

/** The control server: where it listens, and the token its state-changing routes need (local.json's `token`). */
export interface ControlServer extends EmbeddedServer {
  readonly token: string;
}

/** Request bodies above this are refused; a CreateSchedule body is a few kilobytes. */
const MAX_BODY_BYTES = 1024 * 1024;

const ACTION = /^\/api\/schedules\/([^/]+)\/(pause|resume|fire)$/;

/**
 * The embedded runtime's HTTP control server on 127.0.0.1 (`ui` in local.json), which the CLI calls:
 *
 * - `GET /api/schedules` → `[{ name, task, kind, expression, timeZone, enabled, next }]`, and for a
 *   one-time schedule made through the Scheduler API also `oneTime: { group, arn, status, actionAfterCompletion, queue }`
 * - `POST /api/schedules/<name>/pause|resume|fire` → `{ name, enabled }`; 404 `{ error }` for an unknown name
 * - `GET /api/gates` → each gate's queue URLs, concurrency and message counts, and `stalled`: its
 *   messages in flight longer than their tasks' timeout; for a rate gate `rate: { perSecond, burst,
 *   usedLastMinute, tokens, waiting }` (waiting: messages re-sent to wait for a token)
 * - `GET /` and `/ui/…` → the operator page (see `ui/server.ts`)
 * - EventBridge Scheduler's API (`/schedules…`, see `scheduler-api.ts`): the workers' and the CLI's
 *   Scheduler endpoint (`AWS_ENDPOINT_URL_SCHEDULER`); a request is Scheduler's when it is signed
 *   for Scheduler (SigV4 credential scope `scheduler`)
 * - the request API (`POST /tasks/{name}`, `GET /runs/{task}/{runId}`, `PUT|GET|DELETE
 *   /schedules/{name}`, `GET /schedules`; see `api/task-routes.ts`, `api/schedule-routes.ts`):
 *   the same routes as the deployed HTTP API, without IAM and without the token, so that scripts
 *   call it as they would in AWS; its writes take JSON bodies only; an unsigned `/schedules…`
 *   request is the request API's
 *
 * Every route checks the `Host` header and refuses other sites' browser requests; pause, resume,
 * fire and the page's actions need the token made here (`X-Taskgate-Token`); the Scheduler API,
 * which SDK clients call without a token, takes bodies only as JSON (see `ui/guard.ts`).
 */
export async function startControlServer(target: ControlTarget, setting: PortSetting): Promise<ControlServer> {
  const guard = new RequestGuard();
  const server = http.createServer((request, response) => {
    handle(target, guard, request, response).catch((error: unknown) => {
      const message = (error as Error).message;
      // `Message` and the error type header too, so an SDK client (the Scheduler API) reports it.
      response.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' });
      response.end(JSON.stringify({ error: message, Message: message }));
    });
  });
  const port = await listen(server, setting);
  guard.listening(port);
  return { endpoint: `http://127.0.0.1:${port}`, port, token: guard.token, close: () => closeServer(server) };
}

async function handle(target: ControlTarget, guard: RequestGuard, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const api = target.api?.();
  // `/schedules/{name}` is both the request API's route and Scheduler's: a call signed for Scheduler (the workers', the CLI's) is Scheduler's.
  if (api?.serves(url.pathname) && !isSchedulerSdkRequest(request.headers.authorization)) return serveApi(api, guard, request, response, url);
  const schedulerApi = isSchedulerApiPath(url.pathname);
  const refused = guard.check(request, { tokenless: schedulerApi });
  if (refused) return refuse(response, refused);
  if (schedulerApi) {
    const answer = target.onceSchedules
      ? handleSchedulerApi(target.onceSchedules, request.method ?? 'GET', url, await readBody(request))
      : schedulerApiUnavailable('this runtime serves no EventBridge Scheduler API (--target localstack: LocalStack serves it)');
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
    return;
  }
  if (request.method === 'GET' && url.pathname === '/api/schedules') return send(response, 200, target.list());
  if (request.method === 'GET' && url.pathname === '/api/gates') return send(response, 200, await target.gates());
  const action = ACTION.exec(url.pathname);
  if (action) {
    if (request.method !== 'POST') return send(response, 405, { error: `use POST for ${url.pathname}` });
    const name = decodeURIComponent(action[1]!);
    const verb = action[2] as 'pause' | 'resume' | 'fire';
    const view = verb === 'fire' ? await target.fire(name) : target[verb](name);
    if (!view) return send(response, 404, { error: `no schedule named "${name}"; schedules: ${target.names().join(', ') || 'none'}` });
    return send(response, 200, { name: view.name, enabled: view.enabled });
  }
  const ui = target.ui?.();
  if (ui && (await ui.handle(request, response, url))) return;
  if (request.method === 'GET' && url.pathname === '/') {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('taskgate: the embedded runtime is starting; reload in a moment\n');
    return;
  }
  send(response, 404, { error: `no route ${request.method} ${url.pathname}; see GET /api/schedules and GET /api/gates` });
}

/** A request API route: a local Host, no other site's browser, and a JSON body (no token: scripts call it as they call AWS). */
async function serveApi(api: ApiRouter, guard: RequestGuard, request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
  const refused = guard.check(request, { tokenless: true });
  if (refused) return refuse(response, refused);
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
  // The query string stays on the path, as API Gateway's rawQueryString does (`GET /schedules?prefix=`).
  const answer = await api.handle({ method: request.method ?? 'GET', path: `${url.pathname}${url.search}`, headers, body: await readBody(request) });
  response.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
  response.end(JSON.stringify(answer.body));
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function refuse(response: http.ServerResponse, refusal: Refusal): void {
  // `Message` and the error type header too, so an SDK client (the Scheduler API) reports it.
  response.writeHead(refusal.status, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
  response.end(JSON.stringify({ error: refusal.error, Message: refusal.error }));
}
