import * as path from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_KEYS } from '../../src/core/outputs';
import { defineWebhookTask } from '../../src/core/webhook-task';
import { fromEnv, fromSsm } from '../../src/core/webhook-url';
import { webhookSecretVariable } from '../../src/worker/worker-env';
import { chaosPlans } from '../helpers/chaos-plan';
import { seededRandom } from '../helpers/fault-proxy';
import { GateHarness } from '../helpers/gate-harness';
import { fixtureTask, taskgateStack } from '../helpers/apps';
import { RunRecorder } from '../helpers/run-recorder';
import { formatTable } from '../helpers/suite-table';
import { templateOf, testApp } from '../helpers/synth';
import { auditWorkerRoles } from '../helpers/worker-role-audit';

// Issue 17's least-privilege suite: what each worker role may touch, read from the synthesized
// template, and a canary secret that must never leave the worker's environment.

/** Three gates, two of them with webhook tasks (each such gate gets its own signing secret). */
function threeGates(): ReturnType<typeof taskgateStack> {
  return taskgateStack(testApp(), {
    tasks: [
      fixtureTask('sweep'),
      fixtureTask('report', 'narrow'),
      defineWebhookTask({ name: 'notify-partner', gate: 'narrow', url: fromSsm('/partner/url') }),
      fixtureTask('rates', 'serial'),
      defineWebhookTask({ name: 'rates-hook', gate: 'serial', url: fromEnv('RATES_URL') }),
    ],
    gates: { default: { concurrency: 2 }, narrow: { concurrency: 3 }, serial: { concurrency: 1 } },
    webhookUrls: { RATES_URL: 'https://rates.example.com/hook' },
  });
}

describe('worker roles', () => {
  it("each worker role touches only its own queue and DLQ, the task queues it may chain to, the ledger, its log group, one-time schedules and its own gate's secrets", () => {
    const template = templateOf(threeGates().stack).toJSON() as { Resources: Record<string, never> };
    const audits = auditWorkerRoles(template);
    const secrets = Object.values(template.Resources as Record<string, { Type: string }>).filter((resource) => resource.Type === 'AWS::SecretsManager::Secret').length;
    console.log(
      [
        'least privilege (synthesized worker roles):',
        formatTable(['gate', 'statements', 'secretsmanager actions', 'problems'], audits.map((audit) => [audit.gate, audit.statements, audit.secretStatements, audit.problems.length])),
        `${secrets} Secrets Manager secret(s) (the webhook gates' signing secrets) checked against their gates; with none, the rule would hold trivially`,
        "the actions themselves are checked against the calls the worker sends in test/worker-role-policy.test.ts",
      ].join('\n'),
    );
    expect(audits.map((audit) => audit.gate).sort()).toEqual(['default', 'narrow', 'serial']);
    expect(audits.flatMap((audit) => audit.problems)).toEqual([]);
    // The webhook gates read their own secret; the rule was exercised, not passed trivially.
    expect(audits.filter((audit) => audit.secretStatements > 0).map((audit) => audit.gate).sort()).toEqual(['narrow', 'serial']);
  });

  it("finds a grant beyond them: another gate's secret, another gate's queue to consume, another gate's DLQ, a Scan, every resource", () => {
    const { stack, taskgate } = threeGates();
    const gateNamed = (name: string) => taskgate.gates.get(name)!;
    const role = (name: string) => gateNamed(name).worker.role!;
    const queue = (name: string, kind: 'queue' | 'deadLetterQueue') => gateNamed(name)[kind];
    const secret = new secretsmanager.Secret(stack, 'OtherSecret');
    (secret.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.gate, 'narrow');
    secret.grantRead(role('default'));
    role('default').addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage'], resources: [queue('narrow', 'queue').queueArn] }));
    role('narrow').addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue('default', 'deadLetterQueue').queueArn] }));
    role('serial').addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['*'] }));
    const problems = auditWorkerRoles(templateOf(stack).toJSON() as { Resources: Record<string, never> }).flatMap((audit) => audit.problems);
    expect(problems.join('\n')).toMatch(/secretsmanager:GetSecretValue .*OtherSecret.* beyond what gate default's worker may touch/);
    expect(problems.join('\n')).toMatch(/sqs:ReceiveMessage .*GatenarrowQueue.* beyond what gate default's/);
    expect(problems.join('\n')).toMatch(/sqs:SendMessage .*GatedefaultDeadLetterQueue.* beyond what gate narrow's/);
    expect(problems.join('\n')).toMatch(/dynamodb:Scan on "\*" is beyond what gate serial's/);
  });
});

/** A value that must never leave the worker's environment. */
const CANARY = `canary-${Date.now().toString(36)}-do-not-log`;

describe('no secret in a log line, a DLQ attribute or a ledger record', () => {
  const plans = chaosPlans(60, 4242);
  let recorder: RunRecorder;
  let gate: GateHarness;

  beforeAll(async () => {
    recorder = await RunRecorder.start(new Map(plans.map((plan) => [plan.id, plan])));
    gate = await GateHarness.start({
      entry: path.join(__dirname, '..', 'fixtures', 'chaos', 'worker.ts'),
      seed: seededRandom(4242),
      batchSize: 5,
      concurrency: 3,
      visibilityTimeoutSeconds: 8,
      maxReceiveCount: 10,
      functionTimeoutSeconds: 8,
      // The webhook secret as a gate's worker will hold it (issue 14), and the worker's AWS credentials.
      environment: { CHAOS_RECORDER_URL: recorder.url, [webhookSecretVariable('default')]: CANARY, AWS_SECRET_ACCESS_KEY: CANARY, AWS_SESSION_TOKEN: CANARY, POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    });
  }, 120_000);
  afterAll(async () => {
    await gate?.close();
    await recorder?.close();
  });

  it('runs, failures, dead letters, bad messages and failing AWS calls leave no trace of the canary', async () => {
    await gate.run();
    gate.sqsProxy.setFailureRate(0.5);
    gate.dynamoProxy.setFailureRate(0.5);
    const bodies = [
      ...plans.map((plan) => JSON.stringify({ task: 'chaos-work', id: plan.id })),
      '{"task": "chaos-work", "payload": {oops',
      JSON.stringify({ task: 'no-such-task' }),
      JSON.stringify({ task: 'chaos-work', id: '', source: 'cron' }),
    ];
    await gate.send(bodies.map((body) => ({ body })));
    setTimeout(() => {
      gate.sqsProxy.setFailureRate(0);
      gate.dynamoProxy.setFailureRate(0);
    }, 3_000);
    await gate.waitUntilDrained(90_000);
    const dlq = await gate.drainDeadLetters();
    const ledger = await gate.ledger();
    const places = [
      ['log lines', gate.logLines.length, gate.logLines.filter((line) => line.includes(CANARY)).length],
      ['poller errors', gate.pollerErrors.length, gate.pollerErrors.filter((line) => line.includes(CANARY)).length],
      ['DLQ messages (body and attributes)', dlq.length, dlq.filter((message) => JSON.stringify({ body: message.Body, attributes: message.MessageAttributes }).includes(CANARY)).length],
      ['ledger records', ledger.length, ledger.filter((record) => JSON.stringify(record).includes(CANARY)).length],
    ] as const;
    console.log(['least privilege (canary secret):', formatTable(['where', 'scanned', 'with the canary'], places.map((row) => [...row]))].join('\n'));
    // The scan had something to read: every kind of record was made.
    expect(gate.logLines.length).toBeGreaterThan(plans.length);
    expect(dlq.length).toBeGreaterThanOrEqual(3);
    expect(ledger.length).toBeGreaterThanOrEqual(plans.length);
    expect(places.filter(([, , found]) => found > 0)).toEqual([]);
  }, 180_000);
});
