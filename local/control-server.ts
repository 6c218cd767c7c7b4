import * as http from 'node:http';
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
}

const ACTION = /^\/api\/schedules\/([^/]+)\/(pause|resume|fire)$/;

/**
 * The embedded runtime's HTTP control server on 127.0.0.1 (`ui` in local.json), which the CLI calls:
 *
 * - `GET /api/schedules` → `[{ name, task, kind, expression, timeZone, enabled, next }]`
 * - `POST /api/schedules/<name>/pause|resume|fire` → `{ name, enabled }`; 404 `{ error }` for an unknown name
 * - `GET /api/gates` → each gate's queue URLs, concurrency and message counts
 * - `GET /` → a small page listing the gates and schedules
 */
export async function startControlServer(target: ControlTarget, setting: PortSetting): Promise<EmbeddedServer> {
  const server = http.createServer((request, response) => {
    handle(target, request, response).catch((error: unknown) => send(response, 500, { error: (error as Error).message }));
  });
  const port = await listen(server, setting);
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

async function handle(target: ControlTarget, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
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
