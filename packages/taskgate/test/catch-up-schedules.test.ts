import { Template } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import { defineTask } from '../src/core/task';
import { lazySchedulesEnv, readSchedulesEnv } from '../src/worker/schedules-env';
import { parseSchedules } from '../src/worker/schedules-parse';
import { WORKER_ENV } from '../src/worker/worker-env';
import { taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

const run = () => undefined;
const tasks = [
  defineTask({ name: 'latest-only', misfire: { catchUp: 'latest' }, run }),
  defineTask({ name: 'every-tick', run }),
  defineTask({ name: 'newest-three', gate: 'api', misfire: { catchUp: { max: 3 } }, run }),
];

it("gives each gate's worker the schedules of its tasks whose catch-up policy needs them, and only those", () => {
  const { stack, taskgate } = taskgateStack(testApp(), { tasks, gates: { api: { concurrency: 2 } } });
  taskgate.schedule('latest-only', 'rate(5 minutes)');
  taskgate.schedule('latest-only', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', name: 'latest-only-berlin' });
  taskgate.schedule('every-tick', 'rate(1 hour)');
  taskgate.schedule('newest-three', 'rate(1 day)');
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  const envOf = (gate: string) => functions.find((f) => f.Properties.Environment.Variables[WORKER_ENV.gate] === gate)!.Properties.Environment.Variables;
  expect(JSON.parse(envOf('default')[WORKER_ENV.schedules])).toEqual({ 'latest-only': [['rate(5 minutes)', 'UTC'], ['cron(0 9 * * ? *)', 'Europe/Berlin']] });
  expect(JSON.parse(envOf('api')[WORKER_ENV.schedules])).toEqual({ 'newest-three': [['rate(1 day)', 'UTC']] });
  // What the worker reads back from it.
  const schedules = parseSchedules(readSchedulesEnv(envOf('default')[WORKER_ENV.schedules]));
  expect(schedules.get('latest-only')!.map((s) => [s.kind, s.timeZone])).toEqual([['rate', 'UTC'], ['cron', 'Europe/Berlin']]);
});

it('reads TASKGATE_SCHEDULES lazily in the worker: JSON checked at once, expressions parsed on the first look-up', async () => {
  expect(lazySchedulesEnv(undefined)).toBeUndefined();
  expect(() => lazySchedulesEnv('{not json')).toThrow(/TASKGATE_SCHEDULES is not JSON: \{not json/);
  const schedules = lazySchedulesEnv(JSON.stringify({ nightly: [['cron(0 2 * * ? *)', 'Europe/Berlin', '2027-01-01T00:00:00.000Z']] }))!;
  const [nightly] = (await schedules.get('nightly'))!;
  expect([nightly!.kind, nightly!.timeZone, nightly!.endsAt?.toISOString()]).toEqual(['cron', 'Europe/Berlin', '2027-01-01T00:00:00.000Z']);
  expect(await schedules.get('other')).toBeUndefined();
  // A bad expression fails the look-up (the tick's record is retried), as it failed the worker's construction before.
  await expect(lazySchedulesEnv(JSON.stringify({ nightly: [['cron(nope)', 'UTC']] }))!.get('nightly')).rejects.toThrow(/cron\(nope\)/);
});
