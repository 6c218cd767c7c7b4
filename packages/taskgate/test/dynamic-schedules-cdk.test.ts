import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { OUTPUT_KEYS } from '../src/core/outputs';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { templateOf, testApp } from './helpers/synth';

/** A stack with one Taskgate (a standard and a FIFO gate) and a function of the team's that manages schedules created at run time. */
function app() {
  const testingApp = testApp();
  const { stack, taskgate } = taskgateStack(testingApp, { tasks: [fixtureTask('report'), fixtureTask('sync', 'serial')], gates: { serial: { concurrency: 1 } } });
  const fn = new lambda.Function(stack, 'ApiFunction', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
  taskgate.grantDynamicSchedules(fn);
  return { app: testingApp, stack, taskgate, template: templateOf(stack) };
}

const refOf = (template: ReturnType<typeof app>['template'], type: string, metadataKey: string) =>
  Object.entries(template.findResources(type)).find(([, resource]) => (resource.Metadata as Record<string, unknown> | undefined)?.[metadataKey] !== undefined)![0];

describe('the group for schedules created at run time', () => {
  it('is a ScheduleGroup of its own, marked for the template readers, with its name and role as outputs', () => {
    const { template } = app();
    expect(Object.keys(template.findResources('AWS::Scheduler::ScheduleGroup'))).toHaveLength(2);
    const dynamic = refOf(template, 'AWS::Scheduler::ScheduleGroup', 'taskgate:dynamic-schedules');
    const name = template.toJSON().Resources[dynamic].Properties.Name as string;
    expect(name).toMatch(/^Fixture-Taskgate-ScheduleDelivery-DynamicGroup-/);
    expect(template.toJSON().Outputs[OUTPUT_KEYS.dynamicScheduleGroup].Value).toBe(name);
    const roleId = (template.toJSON().Outputs[OUTPUT_KEYS.dynamicScheduleRoleArn].Value as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    // Only Scheduler, acting for this account's dynamic group, may assume the role.
    template.hasResource('AWS::IAM::Role', {
      Properties: Match.objectLike({
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [dynamic, 'Arn'] } } },
            }),
          ],
          Version: '2012-10-17',
        },
      }),
    });
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement[0].Condition.ArnEquals['aws:SourceArn']).toEqual({ 'Fn::GetAtt': [dynamic, 'Arn'] });
    // The role sends to the task queues, nothing else.
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
    const actions = policies.flatMap((p) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat()));
    expect([...new Set(actions)].sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });

  it('grantDynamicSchedules: manage the dynamic group\'s schedules only, ListSchedules on "*" (no resource types), PassRole on the dynamic role to Scheduler only', () => {
    const { template, stack } = app();
    const dynamic = refOf(template, 'AWS::Scheduler::ScheduleGroup', 'taskgate:dynamic-schedules');
    const name = template.toJSON().Resources[dynamic].Properties.Name as string;
    const fnRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('ApiFunctionServiceRole'))![0];
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: fnRole }] } }));
    const statements = stack.resolve(policy!.Properties.PolicyDocument.Statement) as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>;
    const roleId = (template.toJSON().Outputs[OUTPUT_KEYS.dynamicScheduleRoleArn].Value as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    expect(statements).toEqual([
      {
        Action: ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:schedule/${name}/*`]] },
      },
      { Action: 'scheduler:ListSchedules', Effect: 'Allow', Resource: '*' },
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [roleId, 'Arn'] },
      },
    ]);
    // The function learns where they live from its environment (dynamicSchedulesConfigFromEnv).
    const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ApiFunction'))?.[1];
    const variables = fn!.Properties.Environment.Variables as Record<string, unknown>;
    expect(variables.TASKGATE_DYNAMIC_SCHEDULE_GROUP).toBe(name);
    expect(variables.TASKGATE_DYNAMIC_SCHEDULE_ROLE_ARN).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(JSON.stringify(variables.TASKGATE_QUEUES)).toMatch(/serial/);
    // The stack's own group stays out of reach.
    const stackGroup = Object.entries(template.findResources('AWS::Scheduler::ScheduleGroup')).find(([id]) => id !== dynamic)![1].Properties.Name as string;
    expect(JSON.stringify(statements)).not.toContain(stackGroup);
  });

  it('leaves cdk-nag clean: the grant\'s wildcards are acknowledged with their reasons', () => {
    const { app: testingApp, stack } = app();
    const violations = new AwsSolutionsChecks(testingApp).validateScope(stack).violations.filter((v) => v.ruleName.includes('IAM5'));
    expect(violations).toEqual([]);
  });
});
