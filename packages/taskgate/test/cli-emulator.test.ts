import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskRegistry } from '../src/core/registry';
import { gateOutputKey, OUTPUT_KEYS } from '../src/core/outputs';
import { motoMissing, startMoto, type Moto } from './helpers/moto';
import { runCli } from './helpers/run-cli';
import { DEFAULT_GATE_TASKS, workerFunctionResource } from './helpers/worker-metadata';

// `taskgate --stack` against an emulator reached through AWS_ENDPOINT_URL, as with LocalStack:
// the stack's outputs hold queue URLs whose host does not resolve here (LocalStack's
// `*.localhost.localstack.cloud` offline), so every SQS call must go to the endpoint instead.
const missing = motoMissing();
const STACK = 'Taskgate';
const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const emulatorQueueUrl = (name: string) => `http://sqs.${REGION}.localhost.localstack.invalid:4566/000000000000/${name}`;
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-emulator-'));
let moto: Moto | undefined;

/**
 * A stack on the emulator that creates each gate's queues and outputs their emulator-style URLs, and
 * a worker function whose `taskgate:tasks` metadata tells the CLI the tasks (the fixture app's on
 * gate default), as a deployed taskgate stack's template does.
 */
async function deployStack(endpoint: string): Promise<void> {
  const resources: Record<string, unknown> = {
    WorkerRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } } },
    Worker: workerFunctionResource(DEFAULT_GATE_TASKS, { Runtime: 'nodejs20.x', Handler: 'index.handler', Role: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] }, Code: { ZipFile: 'exports.handler = async () => ({});' } }),
  };
  const outputs: Record<string, { Value: string }> = {};
  for (const [index, gate] of new TaskRegistry(DEFAULT_GATE_TASKS).gates().entries()) {
    for (const [kind, name] of [['QueueUrl', `${STACK}-${gate}`], ['DeadLetterQueueUrl', `${STACK}-${gate}-dlq`]] as const) {
      resources[`Queue${index}${kind}`] = { Type: 'AWS::SQS::Queue', Properties: { QueueName: name } };
      outputs[gateOutputKey(gate, kind)] = { Value: emulatorQueueUrl(name) };
    }
  }
  outputs[OUTPUT_KEYS.ledgerTable] = { Value: `${STACK}-Ledger` };
  const cloudformation = new CloudFormationClient({ endpoint, region: REGION, credentials });
  await cloudformation.send(new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify({ Resources: resources, Outputs: outputs }) }));
}

describe.skipIf(missing !== undefined)(`taskgate --stack with AWS_ENDPOINT_URL (moto_server)${missing ? `: ${missing}` : ''}`, () => {
  beforeAll(async () => {
    moto = await startMoto();
    await deployStack(moto.endpoint);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  const taskgate = (...args: string[]) =>
    runCli([...args, '--stack', STACK], {
      cwd,
      env: { AWS_ENDPOINT_URL: moto!.endpoint, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    });

  it('triggers a task into the emulator\'s queue and reads its depth there, without an SDK warning per call', async () => {
    const trigger = await taskgate('trigger', 'fixture-fast', '--id', 'emulated-run');
    expect(trigger.stderr).toBe('');
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toContain('sent fixture-fast to gate default: run id emulated-run');

    const status = await taskgate('status', '--json');
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as Array<{ gate: string; visible: number }>).find((row) => row.gate === 'default')).toMatchObject({ visible: 1 });

    const sqs = new SQSClient({ endpoint: moto!.endpoint, region: REGION, credentials });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${STACK}-default` }));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages.map((m) => JSON.parse(m.Body!) as { task: string; id: string })).toMatchObject([{ task: 'fixture-fast', id: 'emulated-run' }]);
  });
});
