import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { AnyTask } from '../src/core/task';
import { defineWebhookTask } from '../src/core/webhook-task';
import { fromEnv, fromSsm } from '../src/core/webhook-url';
import { taskMetadata } from '../src/core/task-metadata';
import { WORKER_ENV } from '../src/worker/worker-env';
import { Taskgate } from '../src/cdk/taskgate';
import { FIXTURE_TASK_MODULE, fixtureTask, taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

const notify = defineWebhookTask({ name: 'notify-partner', gate: 'partner', url: fromEnv('PARTNER_URL'), timeout: 10 });
const audit = defineWebhookTask({ name: 'audit-hook', gate: 'partner', url: fromSsm('/audit/url'), method: 'PUT', headers: { 'x-team': 'orders' } });
const archive = defineWebhookTask({ name: 'archive-hook', gate: 'archive', url: 'https://archive.example.com/hooks' });
const tasks: AnyTask[] = [notify, audit, archive, fixtureTask('sweep')];
const gates = { partner: { concurrency: 2 }, archive: { concurrency: 2 } };

function synth(props: { tasks?: AnyTask[]; webhookUrls?: Record<string, string>; gates?: Record<string, object> } = {}) {
  const app = testApp();
  const { stack, taskgate } = taskgateStack(app, { tasks: props.tasks ?? tasks, gates: props.gates ?? gates, webhookUrls: props.webhookUrls ?? { PARTNER_URL: 'https://partner.example.com/orders' } });
  return { app, stack, taskgate, template: Template.fromStack(stack) };
}

/** Every statement of every IAM policy in the template, with the role(s) it is attached to. */
function statements(template: Template): Array<{ roles: string[]; statement: { Action: string | string[]; Resource: unknown } }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).map((statement) => ({
      roles: (policy.Properties.Roles as Array<{ Ref: string }>).map((role) => role.Ref),
      statement,
    })),
  );
}

const mentions = (value: unknown, logicalId: string) => JSON.stringify(value).includes(`"${logicalId}"`);

describe('Gate construct: webhook tasks', () => {
  const { app, stack, taskgate, template } = synth();
  const partner = taskgate.gates.get('partner')!;
  const archiveGate = taskgate.gates.get('archive')!;
  const roleId = (gate: typeof partner) => stack.resolve((gate.worker.role!.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
  const idOf = (construct: { node: { defaultChild?: unknown } }) => stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  const envOf = (gate: typeof partner) => template.findResources('AWS::Lambda::Function')[idOf(gate.worker)]!.Properties.Environment.Variables;

  it('creates one secret per gate with webhook tasks, of 48 base64 characters, and none for a gate without', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(2);
    for (const secret of Object.values(secrets)) {
      expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false });
    }
    expect(taskgate.gates.get('default')!.webhookSecret).toBeUndefined();
  });

  it("grants each secret read-only to exactly its own gate's worker role, and to no other role", () => {
    for (const gate of [partner, archiveGate]) {
      const secretId = idOf(gate.webhookSecret as secretsmanager.Secret);
      const granting = statements(template).filter(({ statement }) => mentions(statement.Resource, secretId));
      expect(granting.length).toBeGreaterThan(0);
      expect(new Set(granting.flatMap((g) => g.roles))).toEqual(new Set([roleId(gate)]));
      expect(new Set(granting.flatMap((g) => [g.statement.Action].flat()))).toEqual(new Set(['secretsmanager:GetSecretValue']));
      // No managed policy (the operator's) reads it either.
      for (const policy of Object.values(template.findResources('AWS::IAM::ManagedPolicy'))) expect(mentions(policy, secretId)).toBe(false);
    }
  });

  it("sets the secret's ARN and each fromEnv URL on the gate's worker only; grants ssm:GetParameter on each fromSsm parameter", () => {
    const secretId = idOf(partner.webhookSecret as secretsmanager.Secret);
    expect(envOf(partner)).toMatchObject({ [WORKER_ENV.signingSecretArn]: { Ref: secretId }, PARTNER_URL: 'https://partner.example.com/orders' });
    expect(envOf(archiveGate)).not.toHaveProperty('PARTNER_URL');
    expect(envOf(taskgate.gates.get('default')!)).not.toHaveProperty(WORKER_ENV.signingSecretArn);
    const ssm = statements(template).filter(({ statement }) => [statement.Action].flat().includes('ssm:GetParameter'));
    expect(ssm.map((s) => s.roles)).toEqual([[roleId(partner)]]);
    expect(JSON.stringify(ssm[0]!.statement.Resource)).toContain(':parameter/audit/url');
  });

  it("records the webhook's method, URL source and header names (not values) in the task metadata", () => {
    expect(taskMetadata(audit).webhook).toEqual({ method: 'PUT', url: { from: 'ssm', parameter: '/audit/url' }, headers: ['x-team'] });
    expect(taskMetadata(fixtureTask('plain'))).not.toHaveProperty('webhook');
  });

  it('passes cdk-nag with the secret rotation finding acknowledged', () => {
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });

  it('uses a secret given as webhookSecret instead of creating one, and grants it the same way', () => {
    const stack = new Stack(testApp(), 'Given');
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'PartnerSecret', 'partner/webhook');
    const given = new Taskgate(stack, 'Taskgate', {
      tasks,
      taskModule: FIXTURE_TASK_MODULE,
      gates: { ...gates, partner: { concurrency: 2, webhookSecret: secret } },
      webhookUrls: { PARTNER_URL: 'https://partner.example.com/orders' },
    });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toHaveLength(1); // the archive gate's own
    expect(given.gates.get('partner')!.webhookSecret).toBe(secret);
    const granting = statements(template).filter(({ statement }) => JSON.stringify(statement.Resource).includes('secret:partner/webhook'));
    const partnerRole = stack.resolve((given.gates.get('partner')!.worker.role!.node.defaultChild as unknown as { logicalId: string }).logicalId);
    expect(granting.map((g) => g.roles)).toEqual([[partnerRole]]);
  });

  it('refuses a webhookSecret on a gate without webhook tasks', () => {
    const stack = new Stack(testApp(), 'Needless');
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'x');
    expect(() => new Taskgate(stack, 'Taskgate', { tasks: [fixtureTask('sweep')], taskModule: FIXTURE_TASK_MODULE, gates: { default: { webhookSecret: secret } } })).toThrow(
      'gate default: webhookSecret is given, but the gate has no webhook tasks; remove webhookSecret',
    );
  });
});

describe('webhook URLs checked at synth', () => {
  it('refuses plain http:// except to loopback, in the task and in webhookUrls', () => {
    expect(() => defineWebhookTask({ name: 'plain', url: 'http://partner.example.com/x' })).toThrow(/task plain: url: plain http:\/\/ to partner\.example\.com is refused; use https:\/\//);
    for (const url of ['http://127.0.0.1:4010/x', 'http://localhost/x', 'http://[::1]:8080/x', 'https://partner.example.com/x']) {
      expect(() => defineWebhookTask({ name: 'fine', url }), url).not.toThrow();
    }
    expect(() => synth({ webhookUrls: { PARTNER_URL: 'http://partner.example.com/orders' } })).toThrow(/Taskgate webhookUrls\.PARTNER_URL \(task notify-partner\): plain http:\/\/ to partner\.example\.com is refused/);
    expect(() => synth({ webhookUrls: { PARTNER_URL: 'ftp://partner.example.com/orders' } })).toThrow(/ftp:\/\/ is not a webhook URL/);
  });

  it("counts a gate's webhook variables against Lambda's 4 KB environment", () => {
    expect(() => synth({ webhookUrls: { PARTNER_URL: `https://partner.example.com/${'x'.repeat(4_000)}` } })).toThrow(/worker environment of gate partner could reach \d+ bytes, above Lambda's 4096/);
  });

  it('names the missing or unused webhookUrls entry', () => {
    expect(() => synth({ webhookUrls: {} })).toThrow("task notify-partner reads its URL from PARTNER_URL; give Taskgate webhookUrls: { PARTNER_URL: 'https://...' }");
    expect(() => synth({ webhookUrls: { PARTNER_URL: 'https://p.example.com', PARTNR_URL: 'https://p.example.com' } })).toThrow(
      'Taskgate: webhookUrls PARTNR_URL is read by no task\'s fromEnv(); read: PARTNER_URL',
    );
  });

  it('checks method, headers, status overrides, names and the timeout range', () => {
    const base = { name: 'hook', url: 'https://h.example.com' };
    expect(() => defineWebhookTask({ ...base, method: 'GET' as never })).toThrow(/method must be one of POST, PUT, PATCH, DELETE \(given GET\)/);
    expect(() => defineWebhookTask({ ...base, headers: { 'Webhook-Signature': 'x' } })).toThrow(/header Webhook-Signature is set by taskgate/);
    expect(() => defineWebhookTask({ ...base, headers: { 'x-a': 'line\nbreak' } })).toThrow(/without line breaks/);
    expect(() => defineWebhookTask({ ...base, statusOverrides: { 700: 'success' } })).toThrow(/statusOverrides key 700 is not an HTTP status code/);
    expect(() => defineWebhookTask({ ...base, statusOverrides: { 409: 'ok' as never } })).toThrow(/statusOverrides\[409\] must be one of success, transient, permanent/);
    expect(() => defineWebhookTask({ ...base, timeout: 0 })).toThrow(/timeout must be between 1 and 900 \(given 0\)/);
    expect(() => defineWebhookTask({ ...base, timeout: 901 })).toThrow(/timeout must be between 1 and 900 \(given 901\)/);
    expect(() => fromEnv('AWS_REGION')).toThrow(/not starting with a digit, AWS_, TASKGATE_/);
    expect(() => fromSsm('bad name')).toThrow(/an SSM parameter name is/);
  });
});
