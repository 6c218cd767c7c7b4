import * as http from 'node:http';
import type { OnceSchedules } from './once-schedules';
import { handleSchedulerApi, isSchedulerApiPath, schedulerApiUnavailable } from './scheduler-api';
import type { ScheduleView } from './scheduler';
import { closeServer, listen, type EmbeddedServer, type PortSetting } from './servers';

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
 *   messages in flight longer than their tasks' timeout
 * - `GET /` → a small page listing the gates and schedules
 * - EventBridge Scheduler's API (`/schedules…`, see `scheduler-api.ts`): the workers' and the CLI's
 *   Scheduler endpoint (`AWS_ENDPOINT_URL_SCHEDULER`)
 */
export async function startControlServer(target: ControlTarget, setting: PortSetting): Promise<EmbeddedServer> {
  const server = http.createServer((request, response) => {
    handle(target, request, response).catch((error: unknown) => {
      const message = (error as Error).message;
      // `Message` and the error type header too, so an SDK client (the Scheduler API) reports it.
      response.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' });
      response.end(JSON.stringify({ error: message, Message: message }));
    });
  });
  const port = await listen(server, setting);
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

async function handle(target: ControlTarget, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (isSchedulerApiPath(url.pathname)) {
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
  if (request.method === 'GET' && url.pathname === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page(target.list(), await target.gates()));
    return;
  }
  send(response, 404, { error: `no route ${request.method} ${url.pathname}; see GET /api/schedules and GET /api/gates` });
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

function page(schedules: ScheduleView[], gates: object[]): string {
  const escape = (value: unknown) => String(value ?? '').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const table = (rows: object[]) => {
    const columns = Object.keys(rows[0] ?? {});
    return `<table><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>${rows
      .map((row) => `<tr>${columns.map((c) => `<td>${escape((row as Record<string, unknown>)[c])}</td>`).join('')}</tr>`)
      .join('')}</table>`;
  };
  return `<!doctype html><meta charset="utf-8"><title>taskgate (local)</title>
<style>body{font:14px system-ui;margin:2em}td,th{padding:2px 10px;text-align:left}</style>
<h1>taskgate — embedded runtime</h1><h2>Gates</h2>${table(gates)}<h2>Schedules</h2>${table(schedules)}
<p>Pause, resume or fire: <code>POST /api/schedules/&lt;name&gt;/pause|resume|fire</code></p>`;
}
