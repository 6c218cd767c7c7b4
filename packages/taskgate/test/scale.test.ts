import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { expect, it } from 'vitest';
import { WORKER_ENV } from '../src/worker/worker-env';
import { deployedValue, evaluate, iamPolicySize } from './helpers/cfn';
import { scaleGateNames, scaleSchedule, scaleTasks, taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

/** IAM's quota on a managed policy document's size (characters, white space not counted). */
const IAM_MANAGED_POLICY_LIMIT = 6_144;

it('synthesizes an app of 20 gates and 200 schedules within CloudFormation’s limits, passing cdk-nag', () => {
  const app = testApp();
  const tasks = scaleTasks(20);
  const { stack, taskgate } = taskgateStack(app, { tasks, gates: Object.fromEntries(scaleGateNames(20).map((g, i) => [g, { concurrency: i === 0 ? 1 : 3 }])) }, 'ScaleApp');
  for (let n = 0; n < 200; n++) {
    const { task, expression, timeZone } = scaleSchedule(n, tasks);
    taskgate.schedule(task, expression, { timeZone });
  }
  const template = Template.fromStack(stack);
  const resources = Object.keys(template.toJSON().Resources);
  template.resourceCountIs('AWS::Lambda::Function', 20);
  template.resourceCountIs('AWS::Scheduler::Schedule', 67);
  template.resourceCountIs('AWS::Events::Rule', 133);
  // CloudFormation's quota is 500 resources a stack and 1 MB of template (uploaded through S3).
  expect(resources.length).toBeLessThanOrEqual(500);
  expect(JSON.stringify(template.toJSON()).length).toBeLessThan(1_000_000);
  // Each queue policy stays one statement for all rules, well under SQS's policy size limit.
  for (const policy of Object.values(template.findResources('AWS::SQS::QueuePolicy'))) {
    expect(JSON.stringify(policy.Properties.PolicyDocument).length).toBeLessThan(2_000);
  }
  // Each worker lists all 20 queues in its environment.
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    expect(Object.keys(JSON.parse(evaluate(fn.Properties.Environment.Variables[WORKER_ENV.queues])))).toHaveLength(20);
  }
  const [operator] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  // IAM's limit for a managed policy: 6,144 characters without white space, as deployed (every ARN
  // resolved, here with the longest partition, region and account).
  const operatorSize = iamPolicySize(deployedValue(operator!.Properties.PolicyDocument, template.toJSON() as never, 'ScaleApp'));
  expect(operatorSize).toBeLessThanOrEqual(IAM_MANAGED_POLICY_LIMIT);
  expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  console.log(`scale app: ${resources.length} resources, template ${JSON.stringify(template.toJSON()).length} bytes, operator policy ${operatorSize} of ${IAM_MANAGED_POLICY_LIMIT} characters`);
}, 120_000);
