import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, json, useCliFixture } from './helpers/cli-fixture';
import { spawnCli } from './helpers/run-cli';

// backfill as a subprocess against the embedded servers, with the app synthesized next to local.json.
const fixture = useCliFixture();
const cli = (...args: string[]) => fixture.cli(...args);

describe('backfill', () => {
  const from = '2026-11-22T10:00:00Z';
  const to = '2026-11-22T11:00:00Z';

  it('--dry-run lists the ticks of the window with their ledger status', async () => {
    await fixture.aws.putRun({ task: 'refresh-exchange-rates', id: '2026-11-22T10:15:00Z', status: 'succeeded', startedAt: new Date('2026-11-22T10:15:01Z'), source: 'schedule' });
    const ticks = json<Array<{ at: string; id: string; ledger?: string; send: boolean }>>((await cli('backfill', 'refresh-exchange-rates', '--from', from, '--to', to, '--dry-run', '--json')).stdout);
    expect(ticks.map((t) => t.id)).toEqual(['2026-11-22T10:00:00Z', '2026-11-22T10:15:00Z', '2026-11-22T10:30:00Z', '2026-11-22T10:45:00Z', '2026-11-22T11:00:00Z']);
    expect(ticks.filter((t) => !t.send).map((t) => [t.id, t.ledger])).toEqual([['2026-11-22T10:15:00Z', 'succeeded']]);
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates['rates-api']!.queueUrl)).toMatchObject({ visible: 0 });
  });

  it('sends what the schedule would have sent for each tick not yet run', async () => {
    await fixture.aws.putRun({ task: 'refresh-exchange-rates', id: '2026-11-22T10:15:00Z', status: 'succeeded', startedAt: new Date('2026-11-22T10:15:01Z'), source: 'schedule' });
    const result = await cli('backfill', 'refresh-exchange-rates', '--from', from, '--to', to, '--rate', '100/s');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('sent 4 of 4 tick(s) of refresh-exchange-rates to gate rates-api (1 already in the ledger, not sent)');
    const bodies = (await fixture.drain(fixture.aws.config.gates['rates-api']!.queueUrl)).map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
    expect(bodies.map((b) => b.id).sort()).toEqual(['2026-11-22T10:00:00Z', '2026-11-22T10:30:00Z', '2026-11-22T10:45:00Z', '2026-11-22T11:00:00Z']);
    expect(bodies[0]).toEqual({ task: 'refresh-exchange-rates', payload: { currencies: ['EUR', 'USD', 'CHF'] }, id: bodies[0]!.id, scheduledAt: bodies[0]!.id, source: 'manual' });
  });

  it('without --rate waits while the gate queue holds more than 10 x its concurrency', async () => {
    const queueUrl = fixture.aws.config.gates['rates-api']!.queueUrl;
    for (let i = 0; i < 21; i++) await fixture.aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `{"task":"refresh-exchange-rates","id":"b${i}"}`, MessageGroupId: 'rates-api' }));
    const child = spawnCli(['backfill', 'refresh-exchange-rates', '--from', '2026-11-23T10:00:00Z', '--to', '2026-11-23T10:30:00Z'], { cwd: fixture.aws.dir });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((r) => setTimeout(r, 4000));
    // Held back: nothing sent while 21 > 10 x 1 wait.
    expect(stdout).toBe('');
    expect((await fixture.aws.queueDepth(queueUrl)).visible).toBe(21);
    // Draining frees the gate: the backfill may send while the drain still runs, so count both drains.
    const waiting = await fixture.drain(queueUrl);
    expect(await exited).toBe(0);
    expect(stdout).toContain('sent 3 of 3 tick(s)');
    const ids = [...waiting, ...(await fixture.drain(queueUrl))].map((m) => (JSON.parse(m.Body!) as { id: string }).id);
    expect(ids.filter((id) => /^b\d+$/.test(id))).toHaveLength(21);
    expect(ids.filter((id) => !/^b\d+$/.test(id)).sort()).toEqual(['2026-11-23T10:00:00Z', '2026-11-23T10:15:00Z', '2026-11-23T10:30:00Z']);
  });

  it('cuts a window that reaches into the future at now, and says so: later ticks are the schedule\'s', async () => {
    const iso = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString().slice(0, 19) + 'Z';
    const result = await cli('backfill', 'refresh-exchange-rates', '--from', iso(-40), '--to', iso(40), '--rate', '100/s', '--json');
    const after = Date.now();
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^note: --to \S+ is in the future; the window ends now, \S+: later ticks are the schedule's to send\n$/);
    const sent = (await fixture.drain(fixture.aws.config.gates['rates-api']!.queueUrl)).map((m) => (JSON.parse(m.Body!) as { scheduledAt: string }).scheduledAt);
    // Every 15 minutes: two or three ticks in the past 40 minutes, none of the next 40.
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((at) => Date.parse(at) <= after)).toBe(true);
    expect(json<{ sent: number }>(result.stdout).sent).toBe(sent.length);
  });

  it('refuses an inverted window and an unknown schedule name', async () => {
    expectOneLineError(await cli('backfill', 'refresh-exchange-rates', '--from', to, '--to', from), /is after --to/);
    expectOneLineError(await cli('backfill', 'refresh-exchange-rates', '--from', from, '--to', to, '--schedule', 'hourly'), /has no schedule named "hourly"; its schedules: refresh-exchange-rates/);
  });
});
