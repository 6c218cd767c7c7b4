import { expect, inject, it } from 'vitest';
import { tickTime } from '../../src/core/task-message';
import { RuntimeClock } from '../../src/local/clock';
import { policyGates } from '../helpers/policy-gate';
import { scheduleEveryMinute } from '../helpers/policy-schedule';

// Issue 17's "Outage" suite on the embedded servers: a rate(1 minute) schedule keeps firing while
// the gates' workers are down, then they come back. `npm test` simulates 10 minutes of outage;
// `npm run test:stress` 60 (TASKGATE_OUTAGE_MINUTES). Speed 30: a simulated minute is 2 real
// seconds. The schedule ends with the outage (its `end`, which the workers know from
// TASKGATE_SCHEDULES): a tick due while the gates decide their backlog would rightly supersede the
// backlog's newest, and the counts would depend on how fast this machine is.
const MINUTES = Number(process.env.TASKGATE_OUTAGE_MINUTES ?? 10);
const SPEED = 30;
const CAP = 2;
const endpoints = { sqs: inject('sqsEndpoint'), dynamodb: inject('dynamodbEndpoint') };
const POLICIES = [
  { task: 'tick-latest', policy: 'latest', expectedRuns: 1 },
  { task: 'tick-all', policy: 'all', expectedRuns: Infinity },
  { task: 'tick-max5', policy: '{ max: 5 }', expectedRuns: 5 },
];
const policyGate = policyGates(endpoints);

it(`after ${MINUTES} simulated minutes of outage, each catch-up policy runs exactly its ticks and records every other one as skipped`, async () => {
  const started = Date.now();
  const clock = new RuntimeClock(SPEED);
  // rate(1 minute) fires on whole simulated minutes. The schedule ends with the outage; setting up
  // the gates takes a few of them, so it ends MINUTES + 5 minutes from now and fires MINUTES or more.
  const lastTick = new Date((Math.floor(clock.now().getTime() / 60_000) + MINUTES + 5) * 60_000);
  const environment = {
    // What the Taskgate construct and the embedded runtime set: the tasks' schedules, and the clock they tick on.
    TASKGATE_SCHEDULES: JSON.stringify(Object.fromEntries(POLICIES.map(({ task }) => [task, [['rate(1 minute)', 'UTC', lastTick.toISOString()]]]))),
    TASKGATE_SCHEDULE_CLOCK: clock.workerClock(),
  };
  const targets = await Promise.all(
    POLICIES.map(async (row) => {
      const gate = await policyGate({ cap: CAP, batchSize: 10, functionTimeoutSeconds: 20, environment });
      await gate.warm();
      return { ...row, gate };
    }),
  );
  // The workers are down: the schedule fires into the queues and nothing takes the messages.
  const schedule = scheduleEveryMinute(targets, clock, MINUTES, lastTick);
  await schedule.fired;
  while (![...schedule.firedTicks.values()].every((ticks) => ticks.at(-1)?.getTime() === lastTick.getTime())) await new Promise((resolve) => setTimeout(resolve, 50));
  const recoveredAt = clock.now();
  for (const { gate } of targets) gate.start();
  const rows = [];
  for (const { task, policy, expectedRuns: expected, gate } of targets) {
    const backlog = schedule.firedTicks.get(task)!.map(tickTime);
    expect(backlog.length).toBeGreaterThanOrEqual(MINUTES);
    const expectedRuns = Math.min(expected, backlog.length);
    const settled = await gate.until(async () => {
      const runs = await gate.runs();
      return backlog.every((id) => runs.some((run) => run.id === id && (run.status === 'succeeded' || run.status === 'skipped')));
    }, 60_000);
    expect(settled, `${task}: every tick of the outage ends as a run or a skip`).toBe(true);
    const records = (await gate.runs()).filter((run) => backlog.includes(run.id));
    const ran = records.filter((run) => run.status === 'succeeded').map((run) => run.id).sort();
    const skipped = records.filter((run) => run.status === 'skipped');
    const startedByTask = gate.events().filter((event) => event.event === 'start' && backlog.includes(event.runId));
    rows.push({ policy, 'outage ticks': backlog.length, runs: ran.length, skipped: skipped.length, 'skipped with reason catch-up': skipped.filter((run) => run.reason === 'catch-up').length, 'peak invocations': gate.peakInFlight, cap: CAP });
    expect(ran).toHaveLength(expectedRuns);
    // The newest ticks are the ones that run.
    expect(ran).toEqual(backlog.slice(backlog.length - expectedRuns));
    expect(startedByTask).toHaveLength(expectedRuns);
    expect(skipped).toHaveLength(backlog.length - expectedRuns);
    for (const run of skipped) expect([run.reason, run.error]).toEqual(['catch-up', expect.stringMatching(/newer tick\(s\) of the task were due by .*; misfire.catchUp runs the latest/)]);
    expect(gate.peakInFlight).toBeLessThanOrEqual(CAP);
  }
  schedule.stop();
  console.log(`outage suite: rate(1 minute), ${MINUTES} simulated minutes of outage at speed ${SPEED}, recovered at ${recoveredAt.toISOString()} (simulated), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.table(rows);
}, 120_000 + MINUTES * 5_000);
