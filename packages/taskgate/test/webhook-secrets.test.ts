import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { PermanentError } from '../src/core/errors';
import { defineWebhookTask } from '../src/core/webhook-task';
import { fromSsm } from '../src/core/webhook-url';
import { localSigningSecret, webhookUrlOverrides } from '../src/local/webhook-secrets';
import { taskMetadata } from '../src/core/task-metadata';
import { EMBEDDED_EXECUTION_ENV, WORKER_ENV, webhookSecretVariable } from '../src/worker/worker-env';
import { resolveUrl } from '../src/worker/webhook/resolve-url';
import { signingKeys } from '../src/worker/webhook/secret-source';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-secrets-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
afterEach(() => vi.useRealTimers());

describe('the gate signing secret, where the worker finds it', () => {
  it('takes TASKGATE_WEBHOOK_SECRET_<GATE> first, then the secret file', async () => {
    const [a, b] = [secret(), secret()];
    const file = path.join(tempDir(), 'partner-api');
    fs.writeFileSync(file, `${b}\n`);
    expect(webhookSecretVariable('partner-api')).toBe('TASKGATE_WEBHOOK_SECRET_PARTNER_API');
    const direct = await signingKeys('partner-api', { TASKGATE_WEBHOOK_SECRET_PARTNER_API: `${a} ${b}`, [WORKER_ENV.signingSecretFile]: file });
    expect(direct.map((key) => key.toString('base64'))).toEqual([a.slice(6), b.slice(6)]);
    const fromFile = await signingKeys('partner-api', { [WORKER_ENV.signingSecretFile]: file });
    expect(fromFile.map((key) => key.toString('base64'))).toEqual([b.slice(6)]);
  });

  it('reads Secrets Manager through Powertools, at most once per secret per 5 minutes', async () => {
    const value = `${secret()} ${secret()}`;
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: value });
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks-${Date.now()}`;
    const env = { [WORKER_ENV.signingSecretArn]: arn, AWS_REGION: 'us-east-1' };
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-02T10:00:00Z') });
    for (let i = 0; i < 5; i++) expect(await signingKeys('hooks', env)).toHaveLength(2);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    vi.setSystemTime(Date.parse('2026-12-02T10:04:59Z'));
    await signingKeys('hooks', env);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    vi.setSystemTime(Date.parse('2026-12-02T10:05:01Z'));
    await signingKeys('hooks', env);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toMatchObject({ SecretId: arn });
    sm.restore();
  });

  it('fails permanently, naming where it looked and never the value, when the secret is missing or malformed', async () => {
    await expect(signingKeys('hooks', {})).rejects.toMatchObject({
      name: 'PermanentError',
      reason: 'webhook-config',
      message: 'gate hooks has no webhook signing secret: none of TASKGATE_WEBHOOK_SECRET_HOOKS, TASKGATE_SIGNING_SECRET_FILE or TASKGATE_SIGNING_SECRET_ARN is set (the Gate construct sets the last on gates with webhook tasks)',
    });
    const short = `whsec_${randomBytes(8).toString('base64')}`;
    const error = await signingKeys('hooks', { TASKGATE_WEBHOOK_SECRET_HOOKS: short }).catch((e: unknown) => e as PermanentError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ reason: 'webhook-config', message: expect.stringContaining('environment variable TASKGATE_WEBHOOK_SECRET_HOOKS') });
    expect((error as Error).message).not.toContain(short.slice(6));
  });
});

describe('the embedded runtime\'s local signing secret', () => {
  const template = { [WORKER_ENV.signingSecretArn]: { Ref: 'Secret' } };

  it('makes .taskgate/secrets/<gate> once, 0600, with a whsec_ secret of 32 bytes, and keeps it across starts', () => {
    const stateDir = tempDir();
    const created: string[] = [];
    const env = localSigningSecret(stateDir, 'partner-api', 'partner-api', template, {}, (file) => created.push(file));
    const file = path.join(stateDir, 'secrets', 'partner-api');
    expect(env).toEqual({ [WORKER_ENV.signingSecretFile]: file });
    expect(created).toEqual([file]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const value = fs.readFileSync(file, 'utf8').trim();
    expect(Buffer.from(value.replace(/^whsec_/, ''), 'base64')).toHaveLength(32);
    expect(localSigningSecret(stateDir, 'partner-api', 'partner-api', template, {}, (f) => created.push(f))).toEqual(env);
    expect(created).toHaveLength(1);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(value);
  });

  it('passes TASKGATE_WEBHOOK_SECRET_<GATE> from the shell instead, and gives nothing to a gate without webhook tasks', () => {
    const stateDir = tempDir();
    const given = secret();
    expect(localSigningSecret(stateDir, 'partner-api', 'partner-api', template, { TASKGATE_WEBHOOK_SECRET_PARTNER_API: given }, () => undefined)).toEqual({ TASKGATE_WEBHOOK_SECRET_PARTNER_API: given });
    expect(localSigningSecret(stateDir, 'default', 'default', {}, {}, () => undefined)).toEqual({});
    // A second Taskgate's gate: its own shell variable, handed to its worker under the name the worker reads.
    expect(localSigningSecret(stateDir, 'orders/hooks', 'hooks', template, { TASKGATE_WEBHOOK_SECRET_ORDERS_HOOKS: given }, () => undefined)).toEqual({ TASKGATE_WEBHOOK_SECRET_HOOKS: given });
    expect(fs.existsSync(path.join(stateDir, 'secrets'))).toBe(false);
  });

  it("lets the shell override a fromEnv URL variable of the worker's tasks, and no other variable", () => {
    const tasks = [taskMetadata(defineWebhookTask({ name: 'hook', url: { from: 'env', name: 'HOOK_URL' } }))];
    expect(webhookUrlOverrides(tasks, { HOOK_URL: 'http://127.0.0.1:4010/x', AWS_REGION: 'eu-west-1' })).toEqual({ HOOK_URL: 'http://127.0.0.1:4010/x' });
  });
});

describe('a fromSsm URL', () => {
  const task = defineWebhookTask({ name: 'audit', url: fromSsm('/audit/url', { local: 'http://127.0.0.1:4010/audit' }) });

  it('is read from SSM through Powertools (cached), checked like any URL', async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'https://audit.example.com/in' } });
    for (let i = 0; i < 3; i++) expect((await resolveUrl(task, task.webhook!.url, { AWS_REGION: 'us-east-1' })).href).toBe('https://audit.example.com/in');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    ssm.restore();
  });

  it('uses its local value on the embedded runtime, which has no SSM', async () => {
    expect((await resolveUrl(task, task.webhook!.url, { AWS_EXECUTION_ENV: EMBEDDED_EXECUTION_ENV })).href).toBe('http://127.0.0.1:4010/audit');
    const bare = defineWebhookTask({ name: 'bare', url: fromSsm('/bare/url') });
    await expect(resolveUrl(bare, bare.webhook!.url, { AWS_EXECUTION_ENV: EMBEDDED_EXECUTION_ENV })).rejects.toThrow(/the embedded runtime has no SSM; give fromSsm\('\/bare\/url', \{ local:/);
  });
});
