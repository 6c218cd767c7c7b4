import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../src/api/router';
import { startControlServer, type ControlServer, type ControlTarget } from '../src/local/control-server';

/** What an AWS SDK Scheduler client sends: SigV4 with credential scope `scheduler`. */
const SIGNED_FOR_SCHEDULER = 'AWS4-HMAC-SHA256 Credential=local/20261202/eu-west-1/scheduler/aws4_request, SignedHeaders=host;x-amz-date, Signature=00';

/** One raw HTTP request, with any Host and Origin a browser (or a DNS-rebound page) could send. */
function request(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, path: options.path, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('the control server refuses what a web page could send', () => {
  let server: ControlServer;
  const paused: string[] = [];
  /** The request API's `PUT /schedules/{name}` calls that got through. */
  const apiPuts: string[] = [];
  const router = createRouter([{ method: 'PUT', path: '/schedules/{name}', handle: async (_request, params) => (apiPuts.push(params.name!), { status: 201, body: { name: params.name } }) }]);
  const view = { name: 'nightly', task: 'report', kind: 'rule' as const, expression: 'rate(1 day)', timeZone: 'UTC', enabled: true, next: null };
  const target: ControlTarget = {
    list: () => [view],
    pause: (name) => (paused.push(name), { ...view, enabled: false }),
    resume: () => view,
    fire: async () => view,
    names: () => ['nightly'],
    gates: async () => [],
    api: () => router,
  };
  let host: string;
  beforeAll(async () => {
    server = await startControlServer(target, { port: 0, flag: '--ui-port', envVar: 'TASKGATE_UI_PORT', what: 'control server' });
    host = `127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('acts with its token, from the CLI (no Origin) and from its own page', async () => {
    const cli = await request(server.endpoint, { method: 'POST', path: '/api/schedules/nightly/pause', headers: { host, 'x-taskgate-token': server.token } });
    expect(cli.status).toBe(200);
    const page = await request(server.endpoint, { method: 'POST', path: '/api/schedules/nightly/pause', headers: { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}`, 'x-taskgate-token': server.token } });
    expect(page.status).toBe(200);
    expect(paused).toEqual(['nightly', 'nightly']);
  });

  it('refuses a cross-origin POST, one without the token and one with a wrong token', async () => {
    const before = paused.length;
    // What a form on another site sends: a simple POST, its Origin, no custom header.
    const crossSite = await request(server.endpoint, { method: 'POST', path: '/api/schedules/nightly/pause', headers: { host, origin: 'https://evil.example', 'content-type': 'text/plain' }, body: 'x' });
    expect(crossSite.status).toBe(403);
    const crossSiteWithToken = await request(server.endpoint, { method: 'POST', path: '/api/schedules/nightly/fire', headers: { host, origin: 'https://evil.example', 'x-taskgate-token': server.token } });
    expect(crossSiteWithToken.status).toBe(403);
    expect((await request(server.endpoint, { method: 'POST', path: '/api/schedules/nightly/pause', headers: { host } })).status).toBe(403);
    expect((await request(server.endpoint, { method: 'POST', path: '/api/schedules/nightly/resume', headers: { host, 'x-taskgate-token': 'guess' } })).status).toBe(403);
    expect(paused.length).toBe(before);
    // A CORS preflight gets no permission: the browser never sends the real request.
    const preflight = await request(server.endpoint, { method: 'OPTIONS', path: '/api/schedules/nightly/pause', headers: { host, origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a foreign Host on every route (DNS rebinding), reads included', async () => {
    for (const [method, path] of [['GET', '/api/schedules'], ['GET', '/'], ['POST', '/api/schedules/nightly/pause'], ['GET', '/schedules']] as const) {
      const answer = await request(server.endpoint, { method, path, headers: { host: `rebound.example:${server.port}`, 'x-taskgate-token': server.token } });
      expect(answer.status, `${method} ${path}`).toBe(421);
    }
    expect((await request(server.endpoint, { path: '/api/schedules', headers: { host: `127.0.0.1:${server.port + 1}` } })).status).toBe(421);
    expect((await request(server.endpoint, { path: '/api/schedules', headers: { host } })).status).toBe(200);
  });

  it('takes EventBridge Scheduler calls (signed for Scheduler) without a token, but their bodies only as JSON', async () => {
    const form = await request(server.endpoint, { method: 'POST', path: '/schedules/x', headers: { host, authorization: SIGNED_FOR_SCHEDULER, 'content-type': 'text/plain' }, body: '{}' });
    expect(form.status).toBe(415);
    // No Scheduler API here (LocalStack target): past the guard, the route answers 501.
    const sdk = await request(server.endpoint, { method: 'POST', path: '/schedules/x', headers: { host, authorization: SIGNED_FOR_SCHEDULER, 'content-type': 'application/json' }, body: '{}' });
    expect(sdk.status).toBe(501);
    // The same path and method as the request API's route: signed for Scheduler, it is Scheduler's.
    const put = await request(server.endpoint, { method: 'PUT', path: '/schedules/x', headers: { host, authorization: SIGNED_FOR_SCHEDULER, 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(501);
    expect(apiPuts).toEqual([]);
  });

  it('hands an unsigned /schedules/{name} to the request API, under the same guard: a local Host, no other site, JSON only', async () => {
    const before = apiPuts.length;
    const put = (headers: Record<string, string>) => request(server.endpoint, { method: 'PUT', path: '/schedules/nightly-report', headers: { host, ...headers }, body: '{}' });
    expect((await put({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await put({ 'content-type': 'application/json', origin: 'https://evil.example' })).status).toBe(403);
    expect((await put({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await put({ 'content-type': 'application/json', host: `rebound.example:${server.port}` })).status).toBe(421);
    // Signed for another service (a request API call signed with SigV4 for execute-api): still the request API's.
    const otherScope = 'AWS4-HMAC-SHA256 Credential=local/20261202/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=00';
    expect(apiPuts.length).toBe(before);
    const ok = await put({ 'content-type': 'application/json', authorization: otherScope });
    expect(ok).toMatchObject({ status: 201, body: '{"name":"nightly-report"}' });
    expect(apiPuts.slice(before)).toEqual(['nightly-report']);
  });
});
