import * as fs from 'node:fs';
import * as path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, useCliFixture } from './helpers/cli-fixture';
import { runCli, spawnCli } from './helpers/run-cli';
import { waitFor } from './helpers/taskgate-dev';

// `taskgate top` and `taskgate ui` as a user runs them, against the embedded servers of the CLI
// fixture (its local.json), and the CLI's use of the control server's token.
const fixture = useCliFixture();

describe('taskgate top', () => {
  it('draws the gate table every 2 s with each gate\'s change since the last frame', async () => {
    const { config } = fixture.aws;
    const send = () => fixture.aws.sqs.send(new SendMessageCommand({ QueueUrl: config.gates['email-api']!.queueUrl, MessageBody: '{"task":"send-delivery-reminders","payload":{"market":"de"}}' }));
    await send();
    const child = spawnCli(['top', '--count', '2'], { cwd: fixture.aws.dir });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Between the frames, one more message arrives.
      if (stdout.split('taskgate top').length === 2 && !stdout.includes('sent')) void send().then(() => (stdout += '\n(sent)\n'));
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const frames = stdout.split(/^taskgate top — /m).slice(1);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/GATE +VISIBLE +Δ +IN FLIGHT +DELAYED +DLQ +OLDEST +CAP/);
    expect(frames[0]).toMatch(/^email-api +1 +0 +0 +0 +- +2/m);
    expect(frames[1]).toMatch(/^email-api +2 +\+1 +0/m);
  });
});

describe('taskgate ui on the embedded runtime', () => {
  it('serves the page on 127.0.0.1 with its token, and acts through the CLI\'s code', async () => {
    const child = spawnCli(['ui', '--port', '0'], { cwd: fixture.aws.dir });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', () => {
          const found = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (found) resolve(found[1]!);
        });
        child.on('close', () => reject(new Error(`taskgate ui ended: ${stdout}`)));
      });
      expect(stdout).toContain('actions on');
      const html = await (await fetch(url)).text();
      const token = /name="taskgate-token" content="([^"]+)"/.exec(html)![1]!;
      // Its own token, not the runtime's.
      expect(token).not.toBe(fixture.aws.config.token);
      const snapshot = (await (await fetch(`${url}/ui/api/snapshot`)).json()) as { gates: Array<{ gate: string }>; schedules: Array<{ name: string; enabled: boolean }> };
      expect(snapshot.gates.map((gate) => gate.gate)).toEqual(['default', 'email-api', 'rates-api']);
      const post = (route: string, body: unknown, headers: Record<string, string> = { 'x-taskgate-token': token }) =>
        fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      expect((await post('/ui/api/schedules/cleanup-stray-instances/pause', {}, {})).status).toBe(403);
      // Pausing goes through the CLI's controller, which sends the runtime's token from local.json.
      const paused = await post('/ui/api/schedules/cleanup-stray-instances/pause', {});
      expect(await paused.json()).toEqual({ name: 'cleanup-stray-instances', enabled: false });
      expect(fixture.schedules.find((s) => s.name === 'cleanup-stray-instances')!.enabled).toBe(false);
      const bad = await post('/ui/api/trigger', { task: 'send-delivery-reminders', payload: { market: 'xx' } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { fields: Array<{ field: string }> }).fields.map((f) => f.field)).toEqual(['market']);
      const purge = await post('/ui/api/purge', { gate: 'default', confirm: 'yes' });
      expect(((await purge.json()) as { error: string }).error).toBe("type the gate's name (default) to confirm; nothing was purged");

      // Redrive by task and time window: a dry run counts, the job moves exactly those, the rest stay.
      const { config } = fixture.aws;
      const letter = (task: string, failedAt: string) =>
        fixture.aws.sqs.send(
          new SendMessageCommand({
            QueueUrl: config.gates.default!.dlqUrl,
            MessageBody: JSON.stringify({ task, id: `${task}-${failedAt}` }),
            MessageAttributes: { taskgate: { DataType: 'String', StringValue: JSON.stringify({ reason: 'task-permanent', error: 'no', task, attempts: 1, failedAt }) } },
          }),
        );
      const recent = new Date(Date.now() - 60_000).toISOString();
      await letter('cleanup-stray-instances', recent);
      await letter('cleanup-stray-instances', '2026-01-01T00:00:00.000Z');
      await letter('release-expired-inventory-holds', recent);
      const filter = { gate: 'default', task: 'cleanup-stray-instances', from: new Date(Date.now() - 3_600_000).toISOString() };
      const counted = await post('/ui/api/redrive', { filter, dryRun: true });
      expect(await counted.json()).toEqual({ dryRun: true, matched: 1, gates: [{ gate: 'default', matched: 1 }] });
      expect((await post('/ui/api/redrive', { filter, dryRun: false })).status).toBe(400);
      expect((await post('/ui/api/redrive', { filter, dryRun: false, confirm: true })).status).toBe(202);
      const job = await waitFor('the redrive job', async () => {
        const { jobs } = (await (await fetch(`${url}/ui/api/snapshot`)).json()) as { jobs: Array<{ state: string; moved: number; matched: number }> };
        return jobs[0]?.state === 'done' ? jobs[0] : undefined;
      });
      expect(job).toMatchObject({ moved: 1, matched: 1 });
      expect((await fixture.drain(config.gates.default!.queueUrl)).map((m) => JSON.parse(m.Body!).task)).toEqual(['cleanup-stray-instances']);
      expect((await fixture.drain(config.gates.default!.dlqUrl)).map((m) => JSON.parse(m.Body!).id).sort()).toEqual(['cleanup-stray-instances-2026-01-01T00:00:00.000Z', `release-expired-inventory-holds-${recent}`]);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('close', resolve));
    }
  });

  it('pause without the runtime\'s token (a local.json of another run) is refused in one line', async () => {
    const other = path.join(fixture.aws.dir, '.taskgate', 'other-local.json');
    fs.writeFileSync(other, JSON.stringify({ ...fixture.aws.config, token: 'from-another-run' }));
    const result = await runCli(['pause', 'cleanup-stray-instances', '--local-config', other], { cwd: fixture.aws.dir });
    expectOneLineError(result, /refused POST \/api\/schedules\/cleanup-stray-instances\/pause \(refused: this action needs the server's token.*restart taskgate dev/);
    expect(fixture.schedules.find((s) => s.name === 'cleanup-stray-instances')!.enabled).toBe(true);
  });
});
