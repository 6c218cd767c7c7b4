import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { peakConcurrency, policyGates, type PolicyGate, type TaskEvent } from '../helpers/policy-gate';
import { scheduleEveryMinute } from '../helpers/policy-schedule';
import { tickTime } from '../../src/core/task-message';
import { RuntimeClock } from '../../src/local/clock';

// Issue 17's "Overlap and runaway" suite on the embedded servers, through the embedded runtime's
// own parts: its scheduler and clock, worker threads (FunctionHost) and event-source poller.
// `npm test` fires 6 ticks; `npm run test:stress` fires TASKGATE_POLICY_TICKS (30).
const TICKS = Number(process.env.TASKGATE_POLICY_TICKS ?? 6);
const endpoints = { sqs: inject('sqsEndpoint'), dynamodb: inject('dynamodbEndpoint') };
const policyGate = policyGates(endpoints);

function gate(options: { cap: number; functionTimeoutSeconds: number; environment?: Record<string, string> }): Promise<PolicyGate> {
  return policyGate({ batchSize: 1, ...options });
}

describe('overlap policy: a task that runs past its period (2.5 s runs, a tick every second)', () => {
  it(`allow runs every tick beside the last, skip and bufferOne never overlap, and every tick is a run or a skip with its reason (${TICKS} ticks)`, async () => {
    const started = Date.now();
    const policies = [
      { task: 'overrun-allow', gate: await gate({ cap: 4, functionTimeoutSeconds: 40 }) },
      { task: 'overrun-skip', gate: await gate({ cap: 4, functionTimeoutSeconds: 40 }) },
      { task: 'overrun-buffer', gate: await gate({ cap: 4, functionTimeoutSeconds: 40 }) },
    ];
    for (const { gate } of policies) gate.start();
    // rate(1 minute) at speed 60: a tick every real second.
    const schedule = scheduleEveryMinute(policies, new RuntimeClock(60), TICKS);
    await schedule.fired;
    schedule.stop();
    const rows = [];
    for (const { task, gate } of policies) {
      const ticks = schedule.firedTicks.get(task)!.map(tickTime);
      const settled = await gate.until(async () => {
        const runs = await gate.runs();
        return ticks.every((id) => runs.some((run) => run.id === id && (run.status === 'succeeded' || run.status === 'skipped')));
      }, 30_000 + TICKS * 3_000);
      expect(settled, `${task}: every tick ends as a run or a skip`).toBe(true);
      const runs = (await gate.runs()).filter((run) => ticks.includes(run.id));
      const skipped = runs.filter((run) => run.status === 'skipped');
      expect(runs).toHaveLength(ticks.length);
      for (const run of skipped) expect([run.reason, run.error]).toEqual(['overlap', expect.stringMatching(/^run .+ of overrun-\w+ is still running .*; overlap is/)]);
      const events = gate.events();
      rows.push({
        policy: task.replace('overrun-', ''),
        ticks: ticks.length,
        runs: runs.filter((run) => run.status === 'succeeded').length,
        skipped: skipped.length,
        'started by the task': new Set(events.filter((e: TaskEvent) => e.event === 'start').map((e) => e.runId)).size,
        'peak overlap': peakConcurrency(events, task),
      });
    }
    console.log(`overlap suite: ${TICKS} ticks of rate(1 minute) at speed 60, runs of 2.5 s, cap 4, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.table(rows);
    const [allow, skip, buffer] = rows;
    expect(allow).toMatchObject({ runs: TICKS, skipped: 0 });
    expect(allow!['peak overlap']).toBeGreaterThanOrEqual(2);
    for (const row of [skip!, buffer!]) {
      expect(row['peak overlap']).toBe(1);
      expect(row.runs + row.skipped).toBe(TICKS);
      expect(row['started by the task']).toBe(row.runs);
    }
    expect(skip!.skipped).toBeGreaterThan(0);
    expect(buffer!.runs).toBeGreaterThanOrEqual(skip!.runs);
  }, 120_000 + TICKS * 6_000);
});

describe('runaway runs: a task past its 1 s timeout that ignores its signal never overlaps its retry', () => {
  it('busy-waiting past the timeout, past the function timeout, and awaiting without its signal', async () => {
    const started = Date.now();
    const functionTimeoutSeconds = 6;
    const cases = ['busy-late', 'busy-killed', 'async-runaway'];
    const runaways = await Promise.all(cases.map(async (task) => ({ task, gate: await gate({ cap: 2, functionTimeoutSeconds }) })));
    for (const { task, gate } of runaways) {
      gate.start();
      await gate.sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task, id: `${task}-1` }) }));
    }
    const rows = [];
    for (const { task, gate } of runaways) {
      const done = await gate.until(async () => (await gate.runs()).some((run) => run.status === 'succeeded'), 60_000);
      expect(done, `${task} succeeds on a retry`).toBe(true);
      const [run] = await gate.runs();
      const events = gate.events();
      const first = events.filter((e) => e.attempt === 1);
      const retryStart = events.find((e) => e.attempt > 1 && e.event === 'start')!;
      const firstStart = first.find((e) => e.event === 'start')!.at;
      // A first attempt the thread's end stopped never logs its end: it ran until the function timeout at most.
      const firstEnd = first.find((e) => e.event === 'end')?.at;
      rows.push({
        task,
        'first ran (s)': ((firstEnd ?? firstStart + functionTimeoutSeconds * 1000) - firstStart) / 1000,
        'first ended by': firstEnd ? 'returning late' : 'the thread ended at the function timeout',
        'retry started after (s)': (retryStart.at - firstStart) / 1000,
        'retry attempt': retryStart.attempt,
        'ledger': `${run!.status} after ${run!.attempts} deliveries`,
        'starts': events.filter((e) => e.event === 'start').length,
      });
      expect(run).toMatchObject({ status: 'succeeded' });
      // Two starts: the runaway and one retry; the retry began only after the first attempt could no longer run.
      expect(events.filter((e) => e.event === 'start')).toHaveLength(2);
      expect(retryStart.at).toBeGreaterThan(firstEnd ?? firstStart + functionTimeoutSeconds * 1000);
      if (task === 'busy-killed') expect(firstEnd).toBeUndefined();
      else expect(firstEnd).toBeDefined();
    }
    console.log(`runaway suite: task timeout 1 s, function timeout ${functionTimeoutSeconds} s, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.table(rows);
  }, 120_000);
});
