import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gateOutputKey, OUTPUT_KEYS } from '../src/core/outputs';
import { startAwsStub, type AwsStub } from './helpers/aws-stub';
import { runCli, spawnCli, type CliResult } from './helpers/run-cli';
import { DEFAULT_GATE_TASKS, workerFunctionResource } from './helpers/worker-metadata';

// Failures a user meets with `--stack`, each one line `taskgate: ...` with no stack trace, run as
// a subprocess against a stand-in for AWS's protocols (the SDK's real error parsing and middleware).
const STACK = 'Taskgate';
const queueUrl = (name: string) => `http://sqs.eu-west-1.stub.invalid/123456789012/${name}`;
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-failures-'));
const credentials = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };
let stub: AwsStub;

beforeAll(async () => {
  stub = await startAwsStub(STACK, {
    [gateOutputKey('default', 'QueueUrl')]: queueUrl('Taskgate-default'),
    [gateOutputKey('default', 'DeadLetterQueueUrl')]: queueUrl('Taskgate-default-dlq'),
    [OUTPUT_KEYS.ledgerTable]: 'Taskgate-Ledger',
  }, { Resources: { DefaultWorker: workerFunctionResource(DEFAULT_GATE_TASKS) } });
});
afterAll(async () => {
  await stub.close();
  fs.rmSync(cwd, { recursive: true, force: true });
});
beforeEach(() => stub.errors.clear());

function taskgate(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli([...args, '--stack', STACK], { cwd, env: { AWS_ENDPOINT_URL: stub.endpoint, AWS_REGION: 'eu-west-1', ...credentials, ...env } });
}

/** One line `taskgate: ...` on stderr, nothing on stdout, exit code 1, no stack trace. */
function expectOneLine(result: CliResult): string {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^taskgate: /);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(1);
  return result.stderr.trim();
}

describe('an AWS auth failure is one line naming the denied action and the policy to attach', () => {
  it('AccessDenied on a queue (SQS JSON protocol, no action in the message): the action from the SDK call', async () => {
    stub.errors.set('PurgeQueue', { code: 'AccessDenied', message: 'Access to the resource https://sqs.eu-west-1.amazonaws.com/ is denied.' });
    const line = expectOneLine(await taskgate(['purge-dlq', 'default', '--yes']));
    expect(line).toBe(
      `taskgate: AWS denied sqs:PurgeQueue on ${queueUrl('Taskgate-default-dlq')} (AccessDenied); attach the managed policy in stack ${STACK}'s output ` +
        `${OUTPUT_KEYS.operatorPolicyArn} to your role or user (if it is attached, redeploy the stack with this version of taskgate)`,
    );
  });

  it("AccessDenied reading the stack (CloudFormation's query protocol): the action and resource IAM names, and --stack to check", async () => {
    const resource = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/*`;
    stub.errors.set('DescribeStacks', {
      code: 'AccessDenied',
      message: `User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cloudformation:DescribeStacks on resource: ${resource} because no identity-based policy allows the cloudformation:DescribeStacks action`,
    });
    const line = expectOneLine(await taskgate(['status']));
    expect(line).toContain(`AWS denied cloudformation:DescribeStacks on ${resource} (AccessDenied); check --stack ${STACK}; if it is right, attach the managed policy`);
    expect(line).toContain(OUTPUT_KEYS.operatorPolicyArn);
  });

  it.each(['ExpiredToken', 'InvalidClientTokenId', 'UnrecognizedClientException'])('%s: the credentials, named with the call', async (code) => {
    stub.errors.set('DescribeStacks', { code, message: 'The security token included in the request is invalid.' });
    expect(expectOneLine(await taskgate(['history']))).toBe(
      `taskgate: AWS rejected the credentials (${code}) calling cloudformation:DescribeStacks; refresh them (aws sso login, or new access keys) and try again`,
    );
  });
});

describe('raw stack traces where one line is promised', () => {
  it('--stack with no region configured says to pass --region or set AWS_REGION', async () => {
    const result = await runCli(['status', '--stack', STACK], { cwd, env: { AWS_ENDPOINT_URL: stub.endpoint, ...credentials } });
    expect(expectOneLine(result)).toBe('taskgate: no AWS region; pass --region (such as --region eu-west-1) or set AWS_REGION (or a region in your AWS profile)');
  });

  it('taskgate tasks --stack with no region says so too (found by the bad-input suite): it reads the stack by another path', async () => {
    const result = await runCli(['tasks', '--stack', STACK], { cwd, env: { AWS_ENDPOINT_URL: stub.endpoint, ...credentials } });
    expect(expectOneLine(result)).toBe('taskgate: no AWS region; pass --region (such as --region eu-west-1) or set AWS_REGION (or a region in your AWS profile)');
  });

  it('a --region that is no region name (found by the bad-input suite) says so, instead of a stack trace', async () => {
    const result = await runCli(['status', '--stack', STACK, '--region', 'eu_west'], { cwd, env: { AWS_ENDPOINT_URL: stub.endpoint, ...credentials } });
    expect(expectOneLine(result)).toBe('taskgate: "eu_west" is not an AWS region; pass one such as --region eu-west-1 (or set AWS_REGION)');
  });

  it('a closed stdout pipe (taskgate ... | head) ends the command quietly: exit 0, nothing on stderr', async () => {
    const child = spawnCli(['tasks', '--stack', STACK], { cwd, env: { AWS_ENDPOINT_URL: stub.endpoint, AWS_REGION: 'eu-west-1', ...credentials } });
    // The reader is gone before the first line is written, as `head` is after its lines.
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
