import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OnceSchedules } from '../../src/local/once-schedules';
import { handleSchedulerApi, isSchedulerApiPath } from '../../src/local/scheduler-api';
import { RequestGuard } from '../../src/ui/guard';

export interface FakeSchedule {
  name: string;
  task: string;
  kind: 'rule' | 'schedule';
  expression: string;
  timeZone: string;
  enabled: boolean;
  next: string | null;
}

/** A gate as `GET /api/gates` reports it, the fields the CLI reads. */
export interface FakeGate {
  name: string;
  /** Messages in flight past their tasks' timeout. */
  stalled: number;
}

/**
 * The embedded runtime's control API (GET /api/schedules, POST /api/schedules/NAME/pause|resume|fire,
 * GET /api/gates), as the runtime documents it, over lists the test owns; `fired` counts /fire calls.
 * With `onceSchedules`, it serves the runtime's real Scheduler API over them too. Its requests pass
 * the runtime's own guard (Host, token), whose token is `token`.
 */
export async function startFakeControl(
  schedules: FakeSchedule[],
  onceSchedules?: () => OnceSchedules,
  gates: FakeGate[] = [],
): Promise<{ url: string; token: string; schedules: FakeSchedule[]; gates: FakeGate[]; close(): Promise<void> }> {
  const guard = new RequestGuard();
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const refused = guard.check(request, { tokenless: isSchedulerApiPath(url.pathname) });
    if (refused) {
      response.writeHead(refused.status, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
      response.end(JSON.stringify({ error: refused.error, Message: refused.error }));
      return;
    }
    if (onceSchedules && isSchedulerApiPath(url.pathname)) {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      const answer = handleSchedulerApi(onceSchedules(), request.method ?? 'GET', url, body);
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
      return;
    }
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/api/schedules') return send(200, schedules);
    if (request.method === 'GET' && request.url === '/api/gates') return send(200, gates);
    const match = /^\/api\/schedules\/([^/]+)\/(pause|resume|fire)$/.exec(request.url ?? '');
    if (request.method === 'POST' && match) {
      const schedule = schedules.find((s) => s.name === decodeURIComponent(match[1]!));
      if (!schedule) return send(404, { error: `no schedule named ${match[1]}` });
      if (match[2] !== 'fire') schedule.enabled = match[2] === 'resume';
      return send(200, { name: schedule.name, enabled: schedule.enabled });
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  guard.listening((server.address() as AddressInfo).port);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: guard.token,
    schedules,
    gates,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
