import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA, runKey } from '../../src/worker/ledger/record';
import { json } from '../helpers/cli-fixture';
import { dynamoClient } from '../helpers/local-servers';
import { runCli } from '../helpers/run-cli';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

/** Schedules beyond the fixture's own: with them the app outgrows one stack's 500 resources. */
const MORE_SCHEDULES = 600;

// `taskgate dev` on the fixture app in nested stacks (`nestedStacks: true`), with more schedules than
// one stack holds: the runtime reads the gates, queues and schedules of the nested templates, fires
// the schedules there, and the CLI lists them.
describe('taskgate dev on an app in nested stacks', () => {
  let app: TaskgateDev;
  let dynamo: DynamoDBClient;
  const cli = (...args: string[]) => runCli(args, { cwd: path.dirname(app.stateDir), env: { TASKGATE_LOCAL_CONFIG: path.join(app.stateDir, 'local.json') } });

  beforeAll(async () => {
    app = await taskgateDev(['--speed', '60'], 180_000, undefined, { FIXTURE_NESTED_SCHEDULES: String(MORE_SCHEDULES) });
    dynamo = dynamoClient(app.config.dynamodbEndpoint);
  }, 210_000);
  afterAll(async () => {
    dynamo?.destroy();
    await app?.dispose();
  });

  it('synthesized nested templates, beyond what one stack holds', () => {
    const outdir = path.join(app.stateDir, 'cdk.out');
    const nested = fs.readdirSync(outdir).filter((file) => file.endsWith('.nested.template.json'));
    expect(nested).toHaveLength(Object.keys(app.config.gates).length);
    const resources = nested.map((file) => Object.keys(JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')).Resources).length);
    expect(resources.reduce((a, b) => a + b, 0)).toBeGreaterThan(500);
    const root = JSON.parse(fs.readFileSync(path.join(outdir, 'TaskgateFixture.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(root.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule' || r.Type === 'AWS::Events::Rule')).toEqual([]);
  });

  it('fires schedules of two nested stacks into their gates, whose runs reach the ledger', async () => {
    for (const [task, gate] of [['fixture-fast', 'default'], ['fixture-slow', 'narrow']] as const) {
      expect(app.config.tasks[task]).toBe(gate);
      const run = await waitFor(
        `a scheduled run of ${task}`,
        async () => {
          const history = json<Array<{ id: string; status: string; source?: string }>>((await cli('history', '--task', task, '--json')).stdout);
          return history.find((r) => r.status === 'succeeded');
        },
        90_000,
      );
      // A tick's run id is its time.
      expect(run.id).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: app.config.ledgerTable, Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey(task, run.id) } } }));
      expect(Item?.status?.S).toBe('succeeded');
    }
  }, 200_000);

  it('lists every schedule of the nested stacks with taskgate schedules, and pauses one', async () => {
    const listed = json<Array<{ name: string; task: string }>>((await cli('schedules', '--json')).stdout);
    expect(listed).toHaveLength(MORE_SCHEDULES + 2);
    expect(listed.map((s) => s.name)).toEqual(expect.arrayContaining(['fast-every-minute', 'narrow-every-minute', 'yearly-0', `yearly-${MORE_SCHEDULES - 1}`]));
    const paused = await cli('pause', 'yearly-7');
    expect(paused.code).toBe(0);
  }, 60_000);
});
