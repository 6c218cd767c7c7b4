import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../src/core/errors';
import { METADATA_KEYS } from '../src/core/outputs';
import { defineTask, type AnyTask } from '../src/core/task';
import { defineWebhookTask } from '../src/core/webhook-task';
import { fromSsm } from '../src/core/webhook-url';
import { toRecord } from '../src/local/poller';
import { createHandler } from '../src/worker/create-handler';
import { DynamoLedger } from '../src/worker/ledger/dynamo-ledger';
import { bucketKey } from '../src/worker/rate/bucket-item';
import { WORKER_ENV } from '../src/worker/worker-env';
import { taskgateStack } from './helpers/apps';
import { deploy, DEPLOYED, type DeployableTemplate } from './helpers/deployment';
import { seededRandom, FaultProxy } from './helpers/fault-proxy';
import { isAllowed, type AccessRequest, type ResolvedStatement } from './helpers/iam';
import { createLedgerTable, dynamoClient, sqsClient, startLocalServers, type LocalServers } from './helpers/local-servers';
import { templateOf, testApp } from './helpers/synth';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { LAMBDA_SERVICE_ACTIONS, workerAuthorizations, type WorkerCall } from './helpers/worker-role-audit';

// The worker roles are checked against what the worker really sends, as the operator policy is
// against the CLI: each gate's real handler (createHandler) runs every path against the embedded
// SQS and DynamoDB servers behind recording proxies (Scheduler, Secrets Manager and SSM on
// aws-sdk-client-mock), with the environment its synthesized function gets once deployed. Each
// recorded call is mapped to the IAM authorization it needs; that gate's role, deployed on paper,
// must allow each one, and no role may grant an action the workers never send (beyond Lambda's own).

/** Held runs of the overlap tasks, let go by the test. */
const held: Array<() => void> = [];
const hold = () => new Promise<void>((resolve) => held.push(resolve));
const tick = () => ({ source: 'schedule', scheduledAt: new Date().toISOString() });

const TASKS: readonly AnyTask[] = [
  defineTask({
    name: 'work',
    payload: z.object({ mode: z.enum(['ok', 'fail', 'refuse']) }),
    retry: { maxAttempts: 2, minBackoffSeconds: 1, maxBackoffSeconds: 1 },
    run: ({ mode }) => {
      if (mode === 'fail') throw new Error('transient');
      if (mode === 'refuse') throw new PermanentError('refused');
    },
  }),
  defineTask({
    name: 'chainer',
    run: async (_payload, { chain, scheduleOnce }) => {
      await chain({ delaySeconds: 60 });
      await scheduleOnce(new Date(Date.now() + 60_000), 'paced-work');
      await scheduleOnce(new Date(Date.now() + 3 * 3600_000), 'paced-work');
    },
  }),
  defineTask({ name: 'nightly', overlap: 'skip', run: () => hold() }),
  defineTask({ name: 'buffered', overlap: 'bufferOne', run: () => hold() }),
  defineTask({ name: 'paced-work', gate: 'paced', run: () => undefined }),
  defineWebhookTask({ name: 'notify', gate: 'hooks', url: fromSsm('/partner/url') }),
];

const { stack } = taskgateStack(testApp(), { tasks: [...TASKS], gates: { default: { concurrency: 4 }, paced: { concurrency: 2, rate: { perSecond: 0.5, burst: 1 } }, hooks: { concurrency: 2 } } });
const deployment = deploy(templateOf(stack).toJSON() as DeployableTemplate, stack.stackName);
const resources = deployment.template.Resources!;
const AWS_QUEUE_BASE = `https://sqs.${DEPLOYED.region}.amazonaws.com/${DEPLOYED.account}/`;

interface GateRole {
  readonly gate: string;
  readonly queueArn: string;
  readonly logGroupArn: string;
  readonly statements: ResolvedStatement[];
  /** The worker function's environment as deployed. */
  readonly environment: Record<string, string>;
}

/** Each gate's worker: its role's statements and environment, every value resolved as deployed. */
function gateRoles(): GateRole[] {
  const gateOf = (resource: { Metadata?: Record<string, unknown> }) => resource.Metadata?.[METADATA_KEYS.gate] as string | undefined;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && gateOf(r))
    .map(([, fn]) => {
      const gate = gateOf(fn)!;
      const roleId = (fn.Properties!.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(`"${roleId}"`))
        .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement)
        .map((s) => ({ ...s, Resource: [s.Resource].flat().map(deployment.resolve) }) as unknown as ResolvedStatement);
      const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      const queue = Object.values(resources).find((r) => r.Type === 'AWS::SQS::Queue' && gateOf(r) === gate && !String(deployment.resolve(r.Properties!.QueueName)).includes('dlq'))!;
      return {
        gate,
        queueArn: `arn:aws:sqs:${DEPLOYED.region}:${DEPLOYED.account}:${deployment.resolve(queue.Properties!.QueueName)}`,
        logGroupArn: deployment.resolve({ 'Fn::GetAtt': [(fn.Properties!.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref, 'Arn'] }),
        statements,
        environment: Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, deployment.resolve(value)])),
      };
    });
}

const roles = gateRoles();
const roleOf = (gate: string) => roles.find((role) => role.gate === gate)!;

const mocks = { scheduler: mockClient(SchedulerClient), secretsmanager: mockClient(SecretsManagerClient), ssm: mockClient(SSMClient) };
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

describe('the worker roles, against the calls the worker sends', () => {
  const recorded: Array<WorkerCall & { gate: string }> = [];
  let gate = '';
  let servers: LocalServers;
  let proxies: FaultProxy[];
  let receiver: WebhookReceiver;
  let sqs: SQSClient;
  const localUrls = new Map<string, string>();
  const handlers = new Map<string, (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>>();
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    servers = await startLocalServers();
    const record = (service: string) => (operation: string, input: Record<string, unknown>) => void recorded.push({ gate, service, operation, input });
    proxies = await Promise.all([
      FaultProxy.start({ target: servers.sqsEndpoint, service: 'sqs', random: seededRandom(1), onRequest: record('sqs') }),
      FaultProxy.start({ target: servers.dynamodbEndpoint, service: 'dynamodb', random: seededRandom(1), onRequest: record('dynamodb') }),
    ]);
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    sqs = sqsClient(servers.sqsEndpoint);
    // The deployed names, on the local servers: the calls then name what the policy names.
    for (const [id] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue')) {
      const name = deployment.physicalIds.get(id)!.replace(AWS_QUEUE_BASE, '');
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: name.endsWith('.fifo') ? { FifoQueue: 'true' } : {} }));
      localUrls.set(name, QueueUrl!);
    }
    const table = roleOf('default').environment[WORKER_ENV.ledgerTable]!;
    await createLedgerTable(dynamoClient(servers.dynamodbEndpoint), table);
    Object.assign(process.env, {
      AWS_REGION: DEPLOYED.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: proxies[0]!.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: proxies[1]!.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // The webhook code reads its secret's ARN from the process's environment, as in Lambda.
      [WORKER_ENV.signingSecretArn]: roleOf('hooks').environment[WORKER_ENV.signingSecretArn],
    });
    const localBase = [...localUrls.values()][0]!.replace(/[^/]+$/, '');
    for (const role of roles) {
      const env = Object.fromEntries(Object.entries(role.environment).map(([name, value]) => [name, value.startsWith(AWS_QUEUE_BASE) ? localBase + value.slice(AWS_QUEUE_BASE.length) : value]));
      handlers.set(role.gate, createHandler(TASKS, { ...process.env, ...env }));
    }
    mocks.scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/x/y' });
    mocks.secretsmanager.on(GetSecretValueCommand).resolves({ SecretString: Buffer.alloc(36, 7).toString('base64') });
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/partner/url', Type: 'String', Value: `${receiver.url}/hook` } });
  }, 60_000);

  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    for (const mock of Object.values(mocks)) mock.restore();
    sqs?.destroy();
    await Promise.all([...(proxies ?? []).map((proxy) => proxy.close()), receiver?.close(), servers?.close()]);
  });

  const queueUrl = (gateName: string) => localUrls.get(roleOf(gateName).queueArn.split(':').pop()!)!;
  const send = async (gateName: string, ...bodies: object[]) => {
    for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(gateName), MessageBody: JSON.stringify(body) }));
  };
  /** Receives what is visible on the gate's queue and hands each message to its own invocation, all at once, as concurrent batches of one. */
  const deliver = async (gateName: string, expected: number): Promise<SQSBatchResponse[]> => {
    gate = gateName;
    const messages = [];
    for (let tries = 0; messages.length < expected && tries < 50; tries++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(gateName), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
      messages.push(...Messages);
    }
    expect(messages).toHaveLength(expected);
    const handler = handlers.get(gateName)!;
    return Promise.all(messages.map((message) => handler({ Records: [toRecord(message, roleOf(gateName).queueArn, DEPLOYED.region)] }, context)));
  };
  const failures = (answers: SQSBatchResponse[]) => answers.flatMap((answer) => answer.batchItemFailures).length;

  /** Every path of the worker, gate by gate, as the event source would deliver it. */
  async function runEveryPath(): Promise<void> {
    await send('default', { task: 'work', id: 'ok-1', payload: { mode: 'ok' } }, { task: 'work', id: 'fail-1', payload: { mode: 'fail' } }, { task: 'work', id: 'refuse-1', payload: { mode: 'refuse' } }, { nonsense: true });
    expect(failures(await deliver('default', 4))).toBe(1);
    // The retry of the failed run is its last attempt (it goes to the DLQ); the succeeded run again is a duplicate.
    await send('default', { task: 'work', id: 'ok-1', payload: { mode: 'ok' } });
    expect(failures(await deliver('default', 2))).toBe(0);
    // Its chained run and its near one-time run (60 s ahead) wait in their queues; the far one is a schedule.
    await send('default', { task: 'chainer', id: 'chain-1' });
    expect(failures(await deliver('default', 1))).toBe(0);
    await send('default', { task: 'nightly', id: 'n-1', ...tick() }, { task: 'nightly', id: 'n-2', ...tick() }, { task: 'buffered', id: 'b-1', ...tick() }, { task: 'buffered', id: 'b-2', ...tick() });
    const overlapping = deliver('default', 4);
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    held.splice(0).forEach((resume) => resume());
    await overlapping;
    await send('paced', ...[1, 2, 3].map((n) => ({ task: 'paced-work', id: `p-${n}` })));
    await deliver('paced', 3);
    await send('hooks', { task: 'notify', id: 'hook-1' });
    expect(failures(await deliver('hooks', 1))).toBe(0);
  }

  /** Each path did what it stands for, so that its calls are in the record. */
  async function expectEachPathRan(): Promise<void> {
    const ledger = new DynamoLedger(dynamoClient(servers.dynamodbEndpoint), roleOf('default').environment[WORKER_ENV.ledgerTable]!, 1);
    const status = async (task: string, id: string) => (await ledger.get(task, id))?.status;
    const runs = [['work', 'ok-1'], ['work', 'fail-1'], ['work', 'refuse-1'], ['chainer', 'chain-1'], ['notify', 'hook-1']] as const;
    expect(await Promise.all(runs.map(([task, id]) => status(task, id)))).toEqual(['succeeded', 'dead', 'dead', 'succeeded', 'succeeded']);
    expect((await Promise.all([status('nightly', 'n-1'), status('nightly', 'n-2')])).sort()).toEqual(['skipped', 'succeeded']);
    const calls = (g: string, operation: string) => recorded.filter((call) => call.gate === g && call.operation === operation).map((call) => call.input);
    // The buffered run waited, and its holder woke it.
    expect(calls('default', 'ChangeMessageVisibility').map((input) => input.VisibilityTimeout)).toContain(0);
    // The rate gate let one run through its bucket of one and sent the others back to wait.
    expect(calls('paced', 'SendMessage').length).toBeGreaterThan(0);
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hook']);
    expect(mocks.scheduler.calls()).toHaveLength(1);
  }

  it('allows every call each path of the worker sends, on what it touches, and grants no action the workers never send', async () => {
    await runEveryPath();
    await expectEachPathRan();
    const mocked = (g: string, service: string, mock: (typeof mocks)[keyof typeof mocks]) =>
      mock.calls().map((call) => ({ gate: g, service, operation: call.args[0].constructor.name.replace(/Command$/, ''), input: call.args[0].input as Record<string, unknown> }));
    const calls = [...recorded, ...mocked('default', 'scheduler', mocks.scheduler), ...mocked('hooks', 'secretsmanager', mocks.secretsmanager), ...mocked('hooks', 'ssm', mocks.ssm)];
    const requests = calls.map((call) => ({ gate: call.gate, call: `${call.service} ${call.operation}`, requests: workerAuthorizations(call, DEPLOYED) }));
    console.log(`worker calls recorded: ${[...new Set(requests.map((r) => `${r.gate}: ${r.call}`))].sort().join(', ')}`);
    const denied = requests.flatMap(({ gate: g, call, requests: needs }) =>
      needs.filter((request) => !isAllowed(roleOf(g).statements, request)).map((r) => `gate ${g}: ${call} needs ${r.action} on ${r.resource} ${JSON.stringify(r.context ?? {})}`),
    );
    expect([...new Set(denied)]).toEqual([]);

    const needed = new Set(requests.flatMap((r) => r.requests.map((request) => request.action.toLowerCase())));
    const beyond = roles.flatMap((role) =>
      role.statements
        .filter((s) => !lambdaOwn(role, s))
        .flatMap((s) => [s.Action ?? []].flat())
        .filter((action) => !needed.has(action.toLowerCase()))
        .map((action) => `gate ${role.gate}: ${action}`),
    );
    expect(beyond).toEqual([]);
  }, 120_000);

  it('grants the ledger table only: no index, PutItem on the rate bucket of a rate gate only', () => {
    const table = `arn:aws:dynamodb:${DEPLOYED.region}:${DEPLOYED.account}:table/${roleOf('default').environment[WORKER_ENV.ledgerTable]}`;
    const put = (key: string): AccessRequest => ({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': key } });
    expect(isAllowed(roleOf('paced').statements, put(bucketKey('paced')))).toBe(true);
    expect(isAllowed(roleOf('paced').statements, put('work#ok-1'))).toBe(false);
    expect(isAllowed(roleOf('paced').statements, put(bucketKey('default')))).toBe(false);
    expect(isAllowed(roleOf('default').statements, put(bucketKey('default')))).toBe(false);
    for (const role of roles) {
      for (const action of ['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
        expect(isAllowed(role.statements, { action, resource: table })).toBe(false);
        expect(isAllowed(role.statements, { action, resource: `${table}/index/by-task` })).toBe(false);
      }
      expect(JSON.stringify(role.statements)).not.toContain('/index/');
    }
  });
});

/** Whether a statement is one Lambda uses with the role, not the worker's code: the event source on the gate's own queue, or log delivery to its log group. */
function lambdaOwn(role: GateRole, statement: ResolvedStatement): boolean {
  const actions = [statement.Action ?? []].flat();
  const on = (arn: string) => [statement.Resource ?? []].flat().every((resource) => resource === arn || resource === `${arn}:*`);
  return (
    (actions.every((a) => LAMBDA_SERVICE_ACTIONS.eventSource.has(a)) && on(role.queueArn)) || (actions.every((a) => LAMBDA_SERVICE_ACTIONS.logs.has(a)) && on(role.logGroupArn))
  );
}
