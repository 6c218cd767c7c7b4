import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, createClient, type ClientConfig } from '../src/client';
import { PermanentError } from '../src/core/errors';
import { gateOutputKey, OUTPUT_KEYS } from '../src/core/outputs';
import { defineTask } from '../src/core/task';
import { WORKER_ENV } from '../src/worker/worker-env';
import { createGateQueues, sqsClient, startLocalServers, type LocalServers } from './helpers/local-servers';

const reminders = defineTask({
  name: 'send-reminders',
  gate: 'email-api',
  payload: z.object({ market: z.enum(['de', 'at']), daysAhead: z._default(z.int().check(z.minimum(1), z.maximum(14)), 1) }),
  run: () => undefined,
});
const sweep = defineTask({ name: 'sweep', run: () => undefined });
const tasks = [reminders, sweep] as const;

describe('taskgate/client against the embedded SQS server', () => {
  let servers: LocalServers;
  let sqs: SQSClient;
  let config: ClientConfig;

  beforeAll(async () => {
    servers = await startLocalServers();
    sqs = sqsClient(servers.sqsEndpoint);
    const email = await createGateQueues(sqs, 'client-email-api', 5);
    const standard = await createGateQueues(sqs, 'client-default', 5);
    config = {
      queues: { 'email-api': { url: email.queueUrl }, default: { url: standard.queueUrl } },
      region: 'us-east-1',
      sqsEndpoint: servers.sqsEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
  });
  afterAll(async () => {
    sqs?.destroy();
    await servers?.close();
  });

  const messages = async (queue: string, attribute: 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesDelayed' = 'ApproximateNumberOfMessages') => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: config.queues[queue]!.url, AttributeNames: [attribute] }));
    return Number(Attributes?.[attribute]);
  };

  it('refuses a wrong payload value before anything is sent', async () => {
    const client = createClient(tasks, config);
    // A JavaScript caller, or data from outside: the type check cannot see it.
    const payload = JSON.parse('{"market":"fr","daysAhead":30}') as { market: 'de' };
    const refused = await client.send('send-reminders', payload).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermanentError);
    expect((refused as PermanentError).reason).toBe('invalid-payload');
    expect((refused as Error).message).toMatch(/^payload for task send-reminders fails its schema: market: .*; daysAhead: Too big/);
    const unknown = await (client.send as (task: string) => Promise<unknown>)('sweeep').catch((error: unknown) => error);
    expect((unknown as Error).message).toMatch(/did you mean "sweep"/);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: config.queues['email-api']!.url, WaitTimeSeconds: 0 }));
    expect(Messages).toEqual([]);
    expect(await messages('email-api')).toBe(0);
    client.close();
  });

  it('sends a checked payload to its task\'s gate queue, through the send path', async () => {
    const client = createClient(tasks, config);
    const receipt = await client.send('send-reminders', { market: 'at' }, { id: 'reminders-42' });
    expect(receipt).toMatchObject({ runId: 'reminders-42', via: 'now', messageId: expect.any(String) });
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: config.queues['email-api']!.url, WaitTimeSeconds: 1 }));
    expect(Messages.map((m) => JSON.parse(m.Body!))).toEqual([{ task: 'send-reminders', payload: { market: 'at' }, id: 'reminders-42', source: 'api' }]);
    const delayed = await client.send('sweep', undefined, { delaySeconds: 120 });
    expect(delayed.via).toBe('delay');
    expect(delayed.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await messages('default', 'ApproximateNumberOfMessagesDelayed')).toBe(1);
    const later = await client.send('sweep', {}, { at: new Date(Date.now() + 2 * 3600_000) }).catch((error: unknown) => error);
    expect((later as Error).message).toMatch(/needs a one-time schedule, and this client has no schedule role and group/);
    client.close();
  });

  it('reads its config from the environment grantSend sets, a stack\'s outputs or local.json, or says what to do', async () => {
    const client = createClient(tasks, clientConfig.fromEnvironment({}));
    await expect(client.send('sweep')).rejects.toThrow('environment variable TASKGATE_QUEUE_PREFIX is not set; taskgate.grantSend(fn) in the stack (then deploy) sets it');
    const source = clientConfig.fromEnvironment({
      [WORKER_ENV.queueNamePrefix]: 'Shop-',
      [WORKER_ENV.fifoGates]: 'serial',
      [WORKER_ENV.queueUrlBase]: 'https://sqs.eu-west-1.amazonaws.com/1/',
      [WORKER_ENV.queueArnBase]: 'arn:aws:sqs:eu-west-1:1:',
      [WORKER_ENV.scheduleGroup]: 'g',
      [WORKER_ENV.onceScheduleRoleArn]: 'arn:aws:iam::1:role/r',
    });
    expect(await (source as (gates: string[]) => Promise<ClientConfig>)(['default', 'serial'])).toEqual({
      queues: {
        default: { url: 'https://sqs.eu-west-1.amazonaws.com/1/Shop-default', arn: 'arn:aws:sqs:eu-west-1:1:Shop-default' },
        serial: { url: 'https://sqs.eu-west-1.amazonaws.com/1/Shop-serial.fifo', arn: 'arn:aws:sqs:eu-west-1:1:Shop-serial.fifo' },
      },
      scheduleGroup: 'g',
      onceScheduleRoleArn: 'arn:aws:iam::1:role/r',
    });
    const cloudformation = mockClient(CloudFormationClient);
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Shop',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: gateOutputKey('email-api', 'QueueUrl'), OutputValue: 'https://sqs.eu-west-1.amazonaws.com/1/Shop-email-api' },
            { OutputKey: gateOutputKey('default', 'QueueUrl'), OutputValue: 'https://sqs.eu-west-1.amazonaws.com/1/Shop-default' },
            { OutputKey: OUTPUT_KEYS.scheduleGroup, OutputValue: 'Shop-schedules' },
            { OutputKey: OUTPUT_KEYS.onceScheduleRoleArn, OutputValue: 'arn:aws:iam::1:role/taskgate/Shop/once' },
          ],
        },
      ],
    });
    const fromStack = clientConfig.fromStack('Shop', { region: 'eu-west-1' }) as (gates: string[]) => Promise<ClientConfig>;
    expect(await fromStack(['email-api', 'default'])).toEqual({
      queues: { 'email-api': { url: 'https://sqs.eu-west-1.amazonaws.com/1/Shop-email-api' }, default: { url: 'https://sqs.eu-west-1.amazonaws.com/1/Shop-default' } },
      region: 'eu-west-1',
      scheduleGroup: 'Shop-schedules',
      onceScheduleRoleArn: 'arn:aws:iam::1:role/taskgate/Shop/once',
    });
    await expect(fromStack(['rates-api'])).rejects.toThrow('stack Shop has no output TaskgateGateRatesApiQueueUrl (gate rates-api); deploy the app with these tasks, or check the stack name');
    cloudformation.restore();
    await expect((clientConfig.fromLocal({ file: '/nonexistent/local.json' }) as () => Promise<ClientConfig>)()).rejects.toThrow(/does not exist: start the embedded runtime \(npm start\)/);
  });
});
