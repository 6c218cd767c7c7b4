import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA } from '../src/worker/ledger/record';
import { Ledger, type LedgerProps } from '../src/cdk/ledger';
import { testApp } from './helpers/synth';

function ledgerStack(props?: LedgerProps) {
  const stack = new Stack(testApp(), 'Ledger');
  const ledger = new Ledger(stack, 'Ledger', props);
  return { stack, ledger };
}

describe('Ledger', () => {
  it('lays the table out per LEDGER_SCHEMA: pk, the by-task and by-day indexes (projection ALL), TTL expiresAt', () => {
    const template = Template.fromStack(ledgerStack().stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: LEDGER_SCHEMA.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: LEDGER_SCHEMA.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-task',
          KeySchema: [
            { AttributeName: 'task', KeyType: 'HASH' },
            { AttributeName: 'startedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'by-day',
          KeySchema: [
            { AttributeName: 'day', KeyType: 'HASH' },
            { AttributeName: 'startedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(table!.DeletionPolicy).toBe('Retain');
    expect(table!.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(['pk', 'task', 'startedAt', 'day'].map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
  });

  it('can be destroyed with the stack, and then has no deletion protection unless asked', () => {
    const destroy = Template.fromStack(ledgerStack({ removalPolicy: RemovalPolicy.DESTROY }).stack);
    destroy.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    const guarded = Template.fromStack(ledgerStack({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true }).stack);
    guarded.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });

  it("grants a gate's worker GetItem/UpdateItem on the table only, and a rate gate's PutItem of its bucket item only", () => {
    const { stack, ledger } = ledgerStack();
    const plain = new iam.Role(stack, 'Plain', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const rated = new iam.Role(stack, 'Rated', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    ledger.grantWorker(plain);
    ledger.grantWorker(rated, { rateBucketKey: 'taskgate:rate#api' });
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const statementsOf = (role: string) =>
      policies.find((p) => JSON.stringify(p.Properties.Roles).includes(role))!.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>;
    expect(statementsOf('Plain').map((s) => s.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:UpdateItem']]);
    expect(JSON.stringify(statementsOf('Plain'))).not.toContain('/index/');
    expect(statementsOf('Rated').map((s) => [s.Action, s.Condition])).toEqual([
      [['dynamodb:GetItem', 'dynamodb:UpdateItem'], undefined],
      ['dynamodb:PutItem', { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['taskgate:rate#api'] } }],
    ]);
  });

  it('grants read-write functions Get/Put/UpdateItem and Query on the table and its indexes, operators Get/Query: never Scan or deletes', () => {
    const { stack, ledger } = ledgerStack();
    const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    ledger.grantReadWrite(worker);
    ledger.grantRead(operator);
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const statementOf = (role: string) =>
      policies.find((p) => JSON.stringify(p.Properties.Roles).includes(role))!.Properties.PolicyDocument.Statement[0] as { Action: string[]; Resource: unknown[] };
    expect(statementOf('Worker').Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']);
    expect(statementOf('Operator').Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable']);
    for (const role of ['Worker', 'Operator']) {
      expect(statementOf(role).Resource).toHaveLength(2);
      expect(JSON.stringify(statementOf(role).Resource)).toContain('/index/*');
    }
  });
});
