import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Gate, type GateOptions } from '../src/cdk/gate';
import { METADATA_KEYS } from '../src/core/outputs';
import { WORKER_ENV } from '../src/worker/worker-env';
import { bucketKey } from '../src/worker/rate/bucket-item';
import { fixtureTask, taskgateStack, FIXTURE_WORKER_ENTRY } from './helpers/apps';
import { evaluate } from './helpers/cfn';
import { testApp } from './helpers/synth';

function gateTemplate(options: GateOptions): Template {
  const stack = new Stack(testApp(), 'Gates');
  new Gate(stack, 'Gate', { gateName: 'api', tasks: [fixtureTask('one', 'api', { timeout: 100 })], workerEntry: FIXTURE_WORKER_ENTRY, ...options });
  return Template.fromStack(stack);
}

function gateError(options: GateOptions): string {
  try {
    gateTemplate(options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the gate to be rejected');
}

/** Each worker role's allowed action → resources, evaluated, for one gate. */
function workerGrants(rate: GateOptions['rate']) {
  const tasks = [fixtureTask('sync', 'api'), fixtureTask('sweep')];
  const { stack, taskgate } = taskgateStack(testApp(), { tasks, gates: { api: { concurrency: 3, rate } } });
  const template = Template.fromStack(stack);
  const gate = taskgate.gates.get('api')!;
  const roleId = stack.resolve((gate.worker.role!.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
  const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))!;
  const grants = new Map<string, string[]>();
  const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>;
  const puts = statements.filter((s) => [s.Action].flat().includes('dynamodb:PutItem')).map((s) => ({ resources: [s.Resource].flat().map(evaluate), condition: s.Condition }));
  for (const statement of statements) {
    for (const action of [statement.Action].flat()) grants.set(action, [...(grants.get(action) ?? []), ...[statement.Resource].flat().map(evaluate)].sort());
  }
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  return { grants, puts, table: id(taskgate.ledger.table), queue: id(gate.queue), template };
}

describe('a gate with a rate', () => {
  it("carries the rate in its worker's environment and in the template metadata the CLI and embedded runtime read", () => {
    const template = gateTemplate({ concurrency: 10, rate: { perSecond: 20, burst: 5 } });
    const [worker] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(JSON.parse(worker!.Properties.Environment.Variables[WORKER_ENV.rate])).toEqual({ perSecond: 20, burst: 5 });
    expect(worker!.Metadata[METADATA_KEYS.rate]).toEqual({ perSecond: 20, burst: 5 });
  });

  it('sets nothing of a rate on a gate without one', () => {
    const [worker] = Object.values(gateTemplate({ concurrency: 10 }).findResources('AWS::Lambda::Function'));
    expect(worker!.Properties.Environment.Variables[WORKER_ENV.rate]).toBeUndefined();
    expect(worker!.Metadata[METADATA_KEYS.rate]).toBeUndefined();
  });

  it('refuses a rate out of range at synth, naming the gate, the range and the value', () => {
    expect(gateError({ rate: { perSecond: 0, burst: 5 } })).toBe('gate api: rate.perSecond must be between 0.0167 (one a minute) and 500 (given 0)');
    expect(gateError({ rate: { perSecond: 1000, burst: 5 } })).toMatch(/rate.perSecond must be between .* and 500 \(given 1000\)/);
    expect(gateError({ rate: { perSecond: 10, burst: 0 } })).toBe('gate api: rate.burst must be a whole number between 1 and 1000 (given 0)');
    expect(gateError({ rate: { perSecond: 10, burst: 2.5 } })).toMatch(/burst must be a whole number .* \(given 2.5\)/);
    expect(gateError({ rate: { perSecond: 1, burst: 120 } })).toBe('gate api: rate.burst 120 takes 120s to refill at 1/s, above 60s; lower burst to at most 60');
    expect(gateError({ rate: { perSecond: 1, burst: 1, perMinute: 3 } as never })).toBe('gate api: rate takes perSecond and burst only (given perMinute)');
  });

  it("grows a FIFO gate's worker timeout by a token interval per record, since it paces in place", () => {
    // 3 records x 100 s, + 3 x 2 s of tokens at 0.5/s, + the worker's 10 s.
    const template = gateTemplate({ concurrency: 1, batchSize: 3, rate: { perSecond: 0.5, burst: 1 } });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 316 });
  });

  it('lets its worker update the bucket item in the ledger table and re-send to its own queue; beyond a gate without a rate, only PutItem of its own bucket item', () => {
    const rated = workerGrants({ perSecond: 20, burst: 5 });
    const plain = workerGrants(undefined);
    expect(rated.grants.get('dynamodb:UpdateItem')).toEqual([`${rated.table}.Arn`]);
    expect(rated.grants.get('dynamodb:GetItem')).toEqual([`${rated.table}.Arn`]);
    expect(rated.grants.get('sqs:SendMessage')).toContain(`${rated.queue}.Arn`);
    expect(rated.grants.get('sqs:GetQueueAttributes')).toContain(`${rated.queue}.Arn`);
    // The idle bucket's fresh start: one item, by its key.
    expect(rated.puts).toEqual([{ resources: [`${rated.table}.Arn`], condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [bucketKey('api')] } } }]);
    expect(plain.grants.has('dynamodb:PutItem')).toBe(false);
    rated.grants.delete('dynamodb:PutItem');
    expect(Object.fromEntries(rated.grants)).toEqual(Object.fromEntries(plain.grants));
  });
});
