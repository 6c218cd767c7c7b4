import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CliError } from '../cli/errors';
import type { UiActions } from './actions';
import type { UiData } from './data';
import { RequestGuard } from './guard';

/** The operator page's routes, served by `taskgate ui` and by the embedded runtime's control server. */
export interface UiRoutes {
  /** Answers the request when it is one of the page's routes; false otherwise. The caller has checked it with the guard. */
  handle(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<boolean>;
}

/** Seconds between the page's refreshes. */
export const REFRESH_SECONDS = 4;
const MAX_BODY_BYTES = 256 * 1024;
/** The page's files: plain HTML, CSS and DOM code, no framework and nothing fetched from elsewhere. */
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
const ACTION = /^\/ui\/api\/schedules\/([^/]+)\/(pause|resume)$/;
/** The page loads only its own files, and no other site may frame it. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function assetsDir(): string {
  // The same relative place in src/ (tests, tsx) and dist/ (the build copies the folder).
  return path.join(__dirname, 'assets');
}

/**
 * The page and its API:
 * - `GET /` the page, with the server's token in a meta tag; `GET /ui/app.js`, `/ui/app.css`
 * - `GET /ui/api/snapshot?task=&status=&since=` everything the page shows (see `UiSnapshot`), plus the redrive jobs
 * - `POST /ui/api/trigger` `{ task, payload }`; 400 `{ error, fields: [{ field, message }] }` for a bad payload
 * - `POST /ui/api/redrive` `{ filter, dryRun }`, then `{ filter, dryRun: false, confirm: true }`
 * - `POST /ui/api/schedules/<name>/pause|resume`, `POST /ui/api/purge` `{ gate, confirm: <gate name> }`
 * Without `actions` (a stack without --allow-actions) every POST is refused.
 */
export function uiRoutes(options: { readonly data: UiData; readonly actions?: UiActions; readonly token: string }): UiRoutes {
  const { data, actions, token } = options;
  const page = fs.readFileSync(path.join(assetsDir(), 'index.html'), 'utf8');
  return {
    async handle(request, response, url) {
      const method = request.method ?? 'GET';
      if (method === 'GET' && url.pathname === '/') {
        const html = page.replace('{{TOKEN}}', token).replace('{{REFRESH}}', String(REFRESH_SECONDS)).replace('{{ACTIONS}}', actions ? 'on' : 'off');
        respond(response, 200, 'text/html; charset=utf-8', html);
        return true;
      }
      const asset = ASSETS[url.pathname];
      if (method === 'GET' && asset) {
        respond(response, 200, asset.type, fs.readFileSync(path.join(assetsDir(), asset.file)));
        return true;
      }
      if (!url.pathname.startsWith('/ui/api/')) return false;
      const answer = await answerApi(data, actions, method, url, request).catch(errorAnswer);
      respond(response, answer.status, 'application/json', JSON.stringify(answer.body));
      return true;
    },
  };
}

async function answerApi(data: UiData, actions: UiActions | undefined, method: string, url: URL, request: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
  if (method === 'GET' && url.pathname === '/ui/api/snapshot') {
    const query = url.searchParams;
    const snapshot = await data.snapshot({ task: query.get('task') ?? undefined, status: query.get('status') ?? undefined, since: query.get('since') ?? undefined });
    return { status: 200, body: { ...snapshot, jobs: actions?.recentJobs() ?? [] } };
  }
  if (method !== 'POST') return { status: 404, body: { error: `no route ${method} ${url.pathname}` } };
  if (!actions) return { status: 403, body: { error: 'read-only: this page was started without --allow-actions (taskgate ui --stack NAME --allow-actions)' } };
  const body = await readJson(request);
  const schedule = ACTION.exec(url.pathname);
  if (schedule) return actions.setEnabled(decodeURIComponent(schedule[1]!), schedule[2] === 'resume');
  switch (url.pathname) {
    case '/ui/api/trigger':
      return actions.trigger(body);
    case '/ui/api/redrive':
      return actions.redrive(body);
    case '/ui/api/purge':
      return actions.purge(body);
    default:
      return { status: 404, body: { error: `no route POST ${url.pathname}` } };
  }
}

function errorAnswer(error: unknown): { status: number; body: unknown } {
  // What the user can fix (a name, a filter) is a 400 with one line; anything else a 500.
  if (error instanceof CliError || error instanceof RangeError || error instanceof SyntaxError) return { status: 400, body: { error: (error as Error).message } };
  return { status: 500, body: { error: (error as Error).message } };
}

async function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > MAX_BODY_BYTES) throw new RangeError(`request body over ${MAX_BODY_BYTES} bytes`);
  }
  const value: unknown = text.trim() ? JSON.parse(text) : {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RangeError('send a JSON object');
  return value as Record<string, unknown>;
}

function respond(response: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
  response.end(body);
}

/** A started `taskgate ui` server. */
export interface UiServer {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** `taskgate ui`: the page on its own server, on 127.0.0.1 only, every request checked by the guard. */
export async function startUiServer(options: { readonly data: UiData; readonly actions?: UiActions; readonly port: number }): Promise<UiServer> {
  const guard = new RequestGuard();
  const routes = uiRoutes({ data: options.data, actions: options.actions, token: guard.token });
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const refused = guard.check(request);
    if (refused) return respond(response, refused.status, 'application/json', JSON.stringify({ error: refused.error }));
    routes.handle(request, response, url).then(
      (handled) => (handled ? undefined : respond(response, 404, 'application/json', JSON.stringify({ error: `no route ${request.method} ${url.pathname}` }))),
      (error: unknown) => respond(response, 500, 'application/json', JSON.stringify({ error: (error as Error).message })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard.listening(port);
  return {
    url: `http://127.0.0.1:${port}`,
    token: guard.token,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A browser keeps its connection open; the server stops now, not when the browser lets go.
        server.closeAllConnections();
      }),
  };
}
