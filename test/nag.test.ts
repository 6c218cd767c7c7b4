import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AppStack } from '../lib/app-stack';
import { exampleApp } from './helpers';

/** Every acknowledgement recorded under `scope`: rule id → reason. */
function acknowledgements(stack: Stack): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const [id, value] of Object.entries(entry.data as Record<string, unknown>)) found.set(id.replace(/^annotation::/i, ''), String(value));
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged in the example app', () => {
    const app = exampleApp();
    const stack = new AppStack(app, 'Example');
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('carries a written reason with every acknowledgement', () => {
    const stack = new AppStack(exampleApp(), 'Example');
    const found = acknowledgements(stack);
    expect(found.size).toBe(8);
    expect([...found.keys()].filter((id) => id.startsWith('AwsSolutions-IAM5[Resource::'))).toHaveLength(6);
    expect(found.has('AwsSolutions-SQS3')).toBe(true);
    expect(found.has('AwsSolutions-SMG4')).toBe(true); // the webhook secret rotates by hand, two secrets overlapping
    for (const reason of found.values()) expect(reason.length).toBeGreaterThan(60);
  });

  it('does report a wildcard that nobody acknowledged (the check is live)', () => {
    const app = exampleApp();
    const stack = new Stack(app, 'Loose');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:*:*:*'] }));
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Resource::arn:aws:sqs:*:*:*]');
  });
});
