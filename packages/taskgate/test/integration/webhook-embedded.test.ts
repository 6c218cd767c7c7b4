import * as fs from 'node:fs';
import * as path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/worker/webhook/signature';
import { sqsClient } from '../helpers/local-servers';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let receiver: WebhookReceiver;
let app: TaskgateDev;

beforeAll(async () => {
  receiver = await startWebhookReceiver((request) => (JSON.parse(request.body).orderId === 'unknown' ? { status: 404, body: 'no such order' } : { status: 200, body: 'ok' }));
  app = await taskgateDev(['--app', 'npx tsx test/fixtures/webhook-app/app.ts', '--paused'], 120_000, undefined, { FIXTURE_HOOK_URL: `${receiver.url}/orders` });
}, 150_000);

afterAll(async () => {
  await app?.dispose();
  await receiver?.close();
});

describe('webhook tasks on the embedded runtime (the real bundle in a worker thread)', () => {
  it('makes the gate a local secret file (0600) on first start, and does not call the Secrets Manager secret missing', () => {
    const file = path.join(app.stateDir, 'secrets', 'hooks');
    expect(app.output()).toContain(`webhook secret of gate hooks: created ${file}`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(app.output()).not.toMatch(/SecretsManager::Secret is not emulated/);
  });

  it('signs with that secret, sends to the URL from the shell, and prints the status on the run lines', async () => {
    const sqs = sqsClient(app.config.sqsEndpoint);
    const queueUrl = app.config.gates.hooks!.queueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ task: 'fixture-hook', id: 'order-1', payload: { orderId: 'o-1' } }) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ task: 'fixture-hook', id: 'order-x', payload: { orderId: 'unknown' } }) }));
    await waitFor('both run lines', () => (/fixture-hook +succeeded .*HTTP 200/.test(app.output()) && /fixture-hook +dead .*HTTP 404/.test(app.output()) ? true : undefined), 60_000);
    expect(app.output()).toMatch(/fixture-hook +dead .*HTTP 404.*\(endpoint-rejected: POST http:\/\/127\.0\.0\.1:\d+\/orders answered 404: no such order\)/);
    const secret = fs.readFileSync(path.join(app.stateDir, 'secrets', 'hooks'), 'utf8');
    const [ok] = receiver.requests.filter((request) => request.headers['webhook-id'] === 'order-1');
    expect(verifyWebhook(secret.trim(), ok!.headers, ok!.body).id).toBe('order-1');
    expect(app.output()).not.toContain(secret.trim().slice('whsec_'.length));
  }, 90_000);
});
