import * as path from 'node:path';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA, runKey } from '../../src/worker/ledger/record';
import { expectOneLineError, json } from '../helpers/cli-fixture';
import { dynamoClient } from '../helpers/local-servers';
import { runCli } from '../helpers/run-cli';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

// `taskgate dev` on the fixture app with a second Taskgate (`second`) beside the first: the runtime
// runs both, and the CLI addresses each with --taskgate.
describe('taskgate dev on an app of two Taskgates', () => {
  let app: TaskgateDev;
  let dynamo: DynamoDBClient;
  const cli = (...args: string[]) => runCli(args, { cwd: path.dirname(app.stateDir), env: { TASKGATE_LOCAL_CONFIG: path.join(app.stateDir, 'local.json') } });
  const succeeded = (table: string, task: string, id: string) =>
    waitFor(`run ${id} of ${task} in ${table}`, async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey(task, id) } } }));
      return Item?.status?.S === 'succeeded' ? Item : undefined;
    });

  beforeAll(async () => {
    app = await taskgateDev([], 120_000, undefined, { FIXTURE_SECOND_TASKGATE: '1' });
    dynamo = dynamoClient(app.config.dynamodbEndpoint);
  }, 150_000);
  afterAll(async () => {
    dynamo?.destroy();
    await app?.dispose();
  });

  it("keeps local.json's top level the first Taskgate's, and lists both under taskgates", () => {
    const { config } = app;
    expect(Object.keys(config.gates).sort()).toEqual(['default', 'narrow', 'serial', 'wide']);
    expect(config.tasks['fixture-fast']).toBe('default');
    expect(Object.keys(config.taskgates!)).toEqual(['Taskgate', 'second']);
    expect(config.taskgates!.Taskgate).toMatchObject({ stack: 'TaskgateFixture', ledgerTable: config.ledgerTable, gates: config.gates, tasks: config.tasks });
    const second = config.taskgates!.second!;
    expect(second.gates.default!.queueUrl).toMatch(/TaskgateFixture-second-default$/);
    expect(second.tasks).toEqual({ 'second-echo': 'default' });
    expect(second.ledgerTable).not.toBe(config.ledgerTable);
    expect(second.scheduleGroup).not.toBe(config.scheduleGroup);
  });

  it('says in one line which Taskgates there are when a command names none', async () => {
    expectOneLineError(await cli('tasks'), /the embedded runtime's app has several Taskgates: Taskgate, second; say which with --taskgate NAME \(or TASKGATE_NAME\)/);
    expectOneLineError(await cli('status', '--taskgate', 'secnd'), /no Taskgate named "secnd" in the embedded runtime's app \(did you mean "second"\?\); its Taskgates: Taskgate, second/);
  });

  it("lists each Taskgate's tasks and triggers each one's task into its own gate and ledger", async () => {
    expect(json<Array<{ name: string }>>((await cli('tasks', '--json', '--taskgate', 'second')).stdout).map((task) => task.name)).toEqual(['second-echo']);
    expectOneLineError(await cli('trigger', 'second-echo', '--taskgate', 'Taskgate'), /unknown task "second-echo"/);
    const second = await cli('trigger', 'second-echo', '--taskgate', 'second', '--payload', '{"n":5}', '--id', 'two-1');
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('sent second-echo to gate default: run id two-1');
    const first = await runCli(['trigger', 'fixture-fast', '--id', 'one-1'], {
      cwd: path.dirname(app.stateDir),
      env: { TASKGATE_LOCAL_CONFIG: path.join(app.stateDir, 'local.json'), TASKGATE_NAME: 'Taskgate' },
    });
    expect(first.stderr).toBe('');
    expect((await succeeded(app.config.taskgates!.second!.ledgerTable, 'second-echo', 'two-1')).gate?.S).toBe('default');
    await succeeded(app.config.ledgerTable, 'fixture-fast', 'one-1');
    expect(app.output()).toMatch(/run {2}second\/default +second-echo +succeeded/);
    const history = json<Array<{ id: string }>>((await cli('history', '--task', 'second-echo', '--taskgate', 'second', '--json')).stdout);
    expect(history.map((run) => run.id)).toContain('two-1');
  });

  it("pauses the second's schedule of the first's name, and only that one", async () => {
    const listed = json<Array<{ name: string; task: string }>>((await cli('schedules', '--taskgate', 'second', '--json')).stdout);
    expect(listed.map((schedule) => [schedule.name, schedule.task])).toEqual([['fast-every-minute', 'second-echo']]);
    const paused = await cli('pause', 'fast-every-minute', '--taskgate', 'second');
    expect(paused.stderr).toBe('');
    const runtime = (await (await fetch(`${app.config.ui}/api/schedules`)).json()) as Array<{ name: string; enabled: boolean }>;
    expect(runtime.map((schedule) => [schedule.name, schedule.enabled]).sort()).toEqual([
      ['fast-every-minute', true],
      ['second/fast-every-minute', false],
    ]);
    const first = json<Array<{ name: string; task: string; enabled: boolean }>>((await cli('schedules', '--taskgate', 'Taskgate', '--json')).stdout);
    expect(first.map((schedule) => [schedule.name, schedule.task, schedule.enabled])).toEqual([['fast-every-minute', 'fixture-fast', true]]);
  });
});
