import * as path from 'node:path';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelsIn } from '../../src/cli/app-tasks';
import { tasksOf } from '../../src/cli/target';
import { createSchedule, deleteSchedule, getSchedule, type DynamicSchedulesConfig } from '../../src/client/schedules';
import { TaskRegistry } from '../../src/core/registry';
import { tickTime } from '../../src/core/task-message';
import { LEDGER_SCHEMA } from '../../src/worker/ledger/record';
import { dynamoClient, sqsClient } from '../helpers/local-servers';
import { runCli, ROOT } from '../helpers/run-cli';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

/** At this speed a simulated minute is a real second: `cron(* * * * ? *)` fires every second. */
const SPEED = 60;
const EVERY_MINUTE = 'cron(* * * * ? *)';

describe('schedules created at run time on the embedded runtime', () => {
  let app: TaskgateDev;
  let sqs: SQSClient;
  let dynamo: DynamoDBClient;
  let scheduler: SchedulerClient;
  let config: DynamicSchedulesConfig;

  beforeAll(async () => {
    // Paused: the template's own schedules stay quiet; the runtime's Scheduler API is not paused.
    app = await taskgateDev(['--speed', String(SPEED), '--paused']);
    sqs = sqsClient(app.config.sqsEndpoint);
    dynamo = dynamoClient(app.config.dynamodbEndpoint);
    // As the request API's function and the CLI reach it: the Scheduler endpoint is the runtime's `ui`.
    scheduler = new SchedulerClient({ endpoint: app.config.ui, region: app.config.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    const queues = Object.fromEntries(
      await Promise.all(
        Object.entries(app.config.gates).map(async ([gate, { queueUrl }]) => {
          const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
          return [gate, { url: queueUrl, arn: Attributes!.QueueArn! }] as const;
        }),
      ),
    );
    expect(app.config.dynamicScheduleGroup).toMatch(/DynamicGroup/);
    const registry = new TaskRegistry(tasksOf(modelsIn(path.join(app.stateDir, 'cdk.out'))!));
    config = { scheduler, group: app.config.dynamicScheduleGroup!, roleArn: 'arn:aws:iam::000000000000:role/dynamic', queues, registry, reservedNames: ['fast-every-minute'] };
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    dynamo?.destroy();
    scheduler?.destroy();
    await app?.dispose();
  });

  /** The succeeded runs of `task` whose run id starts with `<name>@`. */
  const runsOf = async (task: string, name: string) => {
    const { Items = [] } = await dynamo.send(
      new QueryCommand({
        TableName: app.config.ledgerTable,
        IndexName: LEDGER_SCHEMA.byTaskIndex,
        KeyConditionExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': LEDGER_SCHEMA.byTaskPartitionKey },
        ExpressionAttributeValues: { ':t': { S: task } },
      }),
    );
    return Items.filter((item) => item.id?.S?.startsWith(`${name}@`) && item.status?.S === 'succeeded');
  };

  it('a recurring schedule created through the Scheduler API fires at its sped-up ticks, each a run in the ledger with id <name>@<tick>', async () => {
    const t0 = Date.now();
    const { schedule, created } = await createSchedule(config, 'api-every-minute', { task: 'fixture-fast', expression: EVERY_MINUTE, timeZone: 'Europe/Berlin', payload: { n: 7 } });
    expect(created).toBe(true);
    expect(schedule).toMatchObject({ name: 'api-every-minute', task: 'fixture-fast', payload: { n: 7 }, expression: EVERY_MINUTE, timeZone: 'Europe/Berlin', enabled: true, group: config.group });
    const stored = await scheduler.send(new GetScheduleCommand({ Name: 'api-every-minute', GroupName: config.group }));
    expect(stored).toMatchObject({ ActionAfterCompletion: 'NONE', ScheduleExpressionTimezone: 'Europe/Berlin', Target: { Arn: config.queues.default!.arn, RoleArn: config.roleArn } });

    const runs = await waitFor('two ticks of api-every-minute in the ledger', async () => {
      const found = await runsOf('fixture-fast', 'api-every-minute');
      return found.length >= 2 ? found : undefined;
    });
    // Two ticks a simulated minute apart, within a few real seconds: the runtime's sped-up clock.
    expect(Date.now() - t0).toBeLessThan(30_000);
    const ticks = runs.map((run) => run.scheduledAt!.S!).sort();
    expect(Date.parse(ticks[1]!) - Date.parse(ticks[0]!)).toBe(60_000);
    for (const run of runs) {
      expect(run.id!.S).toBe(`api-every-minute@${tickTime(new Date(run.scheduledAt!.S!))}`);
      expect(run.source?.S).toBe('schedule');
      expect(new Date(run.scheduledAt!.S!).getUTCSeconds()).toBe(0);
    }

    expect(app.output()).toMatch(/fire \S+\/api-every-minute \(cron\(\* \* \* \* \? \*\), created at run time\) → TaskgateFixture-default/);
    await deleteSchedule(config, 'api-every-minute');
    await expect(getSchedule(config, 'api-every-minute')).rejects.toMatchObject({ problem: 'not-found' });
  }, 60_000);

  it('the routes over real HTTP on the control URL: PUT creates (201) and the run is recorded, GET and the list show it, an invalid cron answers 400 with the corrected expression, DELETE removes it', async () => {
    /** One request as a script sends it: JSON, no token, no signature. */
    const call = async (method: string, routePath: string, body: unknown = undefined) => {
      const response = await fetch(new URL(routePath, app.config.ui), {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as Record<string, unknown> | null };
    };

    const bad = await call('PUT', '/schedules/route-bad', { task: 'fixture-fast', expression: 'cron(0 9 * * MON-FRI *)' });
    expect(bad).toEqual({ status: 400, body: { error: "cron(0 9 * * MON-FRI *) sets day-of-week, so day-of-month must be '?': cron(0 9 ? * MON-FRI *)" } });
    const badPayload = await call('PUT', '/schedules/route-bad', { task: 'fixture-fast', expression: EVERY_MINUTE, payload: { n: 'x' } });
    expect(badPayload.status).toBe(400);
    expect(badPayload.body!.error).toMatch(/\bn\b/);
    expect((await call('PUT', '/schedules/fast-every-minute', { task: 'fixture-fast', expression: EVERY_MINUTE })).body).toEqual({ error: expect.stringMatching(/is a schedule of the stack/) });
    // Nothing was created by the refused requests.
    await expect(getSchedule(config, 'route-bad')).rejects.toMatchObject({ problem: 'not-found' });

    const created = await call('PUT', '/schedules/route-every-minute', { task: 'fixture-fast', expression: EVERY_MINUTE, payload: { n: 3 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'route-every-minute', task: 'fixture-fast', payload: { n: 3 }, enabled: true, group: config.group, next: expect.any(Array) });
    // Stored in the runtime's Scheduler API, in the dynamic group, as the SDK reads it back.
    expect(await scheduler.send(new GetScheduleCommand({ Name: 'route-every-minute', GroupName: config.group }))).toMatchObject({ ScheduleExpression: EVERY_MINUTE, ActionAfterCompletion: 'NONE' });
    const replaced = await call('PUT', '/schedules/route-every-minute', { task: 'fixture-fast', expression: EVERY_MINUTE, payload: { n: 4 } });
    expect(replaced).toMatchObject({ status: 200, body: { payload: { n: 4 } } });

    // A tick after the replacement carries its payload (one before it, a second earlier, may carry n: 3).
    const run = await waitFor('a run of route-every-minute with the replaced payload in the ledger', async () =>
      (await runsOf('fixture-fast', 'route-every-minute')).find((item) => item.payload?.S === '{"n":4}'),
    );
    expect(run.id!.S).toBe(`route-every-minute@${tickTime(new Date(run.scheduledAt!.S!))}`);

    expect(await call('GET', '/schedules/route-every-minute')).toMatchObject({ status: 200, body: { name: 'route-every-minute', expression: EVERY_MINUTE } });
    const listed = await call('GET', '/schedules?prefix=route-&limit=10');
    expect(listed.status).toBe(200);
    expect((listed.body!.schedules as Array<{ name: string }>).map((s) => s.name)).toEqual(['route-every-minute']);
    expect(await call('DELETE', '/schedules/route-every-minute')).toEqual({ status: 204, body: null });
    expect(await call('GET', '/schedules/route-every-minute')).toMatchObject({ status: 404 });
    expect(await call('DELETE', '/schedules/route-every-minute')).toMatchObject({ status: 404 });
  }, 60_000);

  it('taskgate schedules create, schedules, pause, resume and schedules delete as a subprocess', async () => {
    const cli = (...args: string[]) => runCli(args, { cwd: ROOT, env: { TASKGATE_LOCAL_CONFIG: `${app.stateDir}/local.json` } });
    const invalid = await cli('schedules', 'create', 'cli-bad', '--task', 'fixture-fast', '--expression', 'cron(0 9 * * *)');
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toContain('cron(0 9 * * ? *)');

    const created = await cli('schedules', 'create', 'cli-hourly', '--task', 'fixture-fast', '--expression', 'rate(1 hour)', '--timezone', 'Europe/Berlin', '--payload', '{"n":2}', '--json');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'cli-hourly', task: 'fixture-fast', created: true, group: config.group });
    const again = await cli('schedules', 'create', 'cli-hourly', '--task', 'fixture-fast', '--expression', 'rate(1 hour)');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/exists already .*--replace/);

    const rows = JSON.parse((await cli('schedules', '--json')).stdout) as Array<{ name: string; createdAtRunTime?: boolean; enabled: boolean }>;
    // Listed once: through the Scheduler API, not also as one of the runtime's one-time schedules.
    expect(rows.filter((row) => row.name === 'cli-hourly')).toEqual([expect.objectContaining({ createdAtRunTime: true, enabled: true })]);
    expect(rows.find((row) => row.name === 'fast-every-minute')?.createdAtRunTime).toBeUndefined();
    expect((await cli('schedules')).stdout).toMatch(/cli-hourly\s+run time\s+fixture-fast\s+rate\(1 hour\)\s+Europe\/Berlin/);

    expect((await cli('pause', 'cli-hourly')).stdout).toContain('schedule cli-hourly is paused');
    expect((await getSchedule(config, 'cli-hourly')).enabled).toBe(false);
    expect((await cli('resume', 'cli-hourly')).stdout).toContain('schedule cli-hourly is enabled');
    expect((await getSchedule(config, 'cli-hourly')).enabled).toBe(true);

    // Backfill reads the ticks and the message of each from the schedule created at run time.
    const ticks = JSON.parse((await cli('backfill', 'fixture-fast', '--schedule', 'cli-hourly', '--from', '3h', '--to', '0s', '--dry-run', '--json')).stdout) as Array<{ id: string; at: string; send: boolean }>;
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const tick of ticks) expect(tick).toMatchObject({ id: `cli-hourly@${tickTime(new Date(tick.at))}`, send: true });

    const refused = await cli('schedules', 'delete', 'fast-every-minute');
    expect(refused.stderr).toMatch(/is the stack's, not one created at run time/);
    const deleted = await cli('schedules', 'delete', 'cli-hourly');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('deleted schedule cli-hourly');
    const rowsAfter = JSON.parse((await cli('schedules', '--json')).stdout) as Array<{ name: string }>;
    expect(rowsAfter.map((row) => row.name)).not.toContain('cli-hourly');
    expect((await cli('schedules', 'delete', 'cli-hourly')).stderr).toMatch(/no schedule named cli-hourly/);
  }, 120_000);
});
