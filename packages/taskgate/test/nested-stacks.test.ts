import { describe, expect, it } from 'vitest';
import { inlineNestedStacks } from '../src/local/nested-stacks';
import type { TemplateDocument } from '../src/local/template';

// The inliner on a hand-written parent and nested template: what aws-cdk-lib's NestedStack makes
// of a cross-stack reference (a parameter in, an output out) and the intrinsics that name resources.
const parent = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Gate: { Type: 'AWS::CloudFormation::Stack', Properties: { Parameters: { referencetoTableRef: { Ref: 'Table' } }, TemplateURL: 'x' } },
    Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Dimensions: [{ Value: { 'Fn::GetAtt': ['Gate', 'Outputs.QueueName'] } }] } },
    Other: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'y' } },
  },
} as unknown as TemplateDocument;
const nested = {
  Parameters: { referencetoTableRef: { Type: 'String' } },
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'App-gate' } },
    Worker: {
      Type: 'AWS::Lambda::Function',
      DependsOn: ['Queue'],
      Properties: {
        Environment: { Variables: { TABLE: { Ref: 'referencetoTableRef' }, QUEUE: { 'Fn::GetAtt': ['Queue', 'Arn'] }, BOTH: { 'Fn::Sub': '${referencetoTableRef}:${Queue.Arn}:${AWS::Region}' } } },
      },
    },
  },
  Outputs: { QueueName: { Value: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } },
} as unknown as TemplateDocument;

describe('inlineNestedStacks', () => {
  const inlined = inlineNestedStacks(parent, (id) => (id === 'Gate' ? nested : undefined));
  const resources = inlined.Resources as Record<string, { Type: string; DependsOn?: unknown; Properties?: Record<string, unknown> }>;

  it("takes in a nested stack's resources under `<its id>/`, keeping a nested stack it cannot load", () => {
    expect(Object.keys(resources).sort()).toEqual(['Alarm', 'Gate/Queue', 'Gate/Worker', 'Other', 'Table']);
  });

  it("replaces a parameter by the parent's value and prefixes references, in Ref, GetAtt, Sub and DependsOn", () => {
    const worker = resources['Gate/Worker']!;
    expect(worker.DependsOn).toEqual(['Gate/Queue']);
    expect((worker.Properties!.Environment as { Variables: unknown }).Variables).toEqual({
      TABLE: { Ref: 'Table' },
      QUEUE: { 'Fn::GetAtt': ['Gate/Queue', 'Arn'] },
      BOTH: { 'Fn::Sub': ['${referencetoTableRef}:${Gate/Queue.Arn}:${AWS::Region}', { referencetoTableRef: { Ref: 'Table' } }] },
    });
  });

  it("replaces the parent's Outputs.X of the nested stack by the output's value", () => {
    expect(resources.Alarm!.Properties!.Dimensions).toEqual([{ Value: { 'Fn::GetAtt': ['Gate/Queue', 'QueueName'] } }]);
  });
});
