import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TaskgateIdentity } from '../core/outputs';
import type { Gate } from './gate';
import { acknowledgeWildcard } from './nag-acknowledgements';
import { queueArnPattern } from './queue-pattern';
import type { Ledger } from './ledger';
import type { ScheduleDelivery } from './schedule-delivery';

export interface OperatorPolicyProps {
  readonly gates: readonly Gate[];
  readonly ledger: Ledger;
  readonly delivery: ScheduleDelivery;
  /**
   * The Taskgate it operates, named in the description when the stack has several.
   * @default - the stack's default Taskgate
   */
  readonly taskgate?: TaskgateIdentity;
  /**
   * Grant on the patterns of the app's queue names (`<prefix>*` for the task queues, `<prefix>*-dlq`
   * for the DLQs) instead of one ARN per queue: for a Taskgate in nested stacks, whose 100 gates'
   * ARNs would outgrow IAM's 6,144 characters.
   * @default false
   */
  readonly queuePatterns?: boolean;
}

/**
 * The managed policy an operator (or the role the `taskgate` CLI runs as) needs, and no more:
 * read the ledger; trigger tasks (send to the task queues); inspect, drain, purge and redrive the
 * DLQs; pause and resume the app's rules and Scheduler schedules; read the stack; read the queues'
 * age metric. test/operator-policy.test.ts runs every CLI command and checks each call it sends.
 *
 * @example
 * new OperatorPolicy(this, 'TaskgateOperatorPolicy', { gates, ledger, delivery }).policy.attachToRole(opsRole);
 */
export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const resources = operatorResources(this, props);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `taskgate operator (${stack.stackName}${props.taskgate && !props.taskgate.default ? `, Taskgate ${props.taskgate.name}` : ''}): trigger tasks, read runs, manage DLQs and schedules`,
      statements: operatorStatements(stack, props, resources),
    });
    if (props.queuePatterns) {
      const reason = "the app's queues by its name prefix: one ARN per gate's queue would outgrow the managed policy's 6,144 characters with 100 gates";
      for (const pattern of [...resources.queues, ...resources.gateDeadLetterQueues]) acknowledgeWildcard(this, pattern, reason);
      acknowledgeWildcard(this, resources.stacks[1]!, 'the nested stacks of the app, which CloudFormation names <stack>-<logical id>-<suffix>');
    }
    acknowledgeWildcard(
      this,
      '*',
      "cloudwatch:GetMetricData and scheduler:ListSchedules only, which IAM authorizes on '*' (they have no resource types); they read, change nothing",
    );
  }
}


/** The ARNs the operator's statements name: queues one by one, or by the app's name prefix in nested stacks. */
interface OperatorResources {
  readonly queues: string[];
  readonly gateDeadLetterQueues: string[];
  readonly deadLetterQueues: string[];
  readonly stacks: string[];
}

function operatorResources(scope: Construct, props: OperatorPolicyProps): OperatorResources {
  const stack = Stack.of(scope);
  const { delivery } = props;
  const prefix = delivery.rulePrefix;
  const queues = props.queuePatterns ? [queueArnPattern(scope, prefix)] : props.gates.map((gate) => gate.queue.queueArn);
  const gateDeadLetterQueues = props.queuePatterns
    ? [queueArnPattern(scope, prefix, '*-dlq'), queueArnPattern(scope, prefix, '*-dlq.fifo')]
    : props.gates.map((gate) => gate.deadLetterQueue.queueArn);
  const deadLetterQueues = [...gateDeadLetterQueues, delivery.deadLetterQueue.queueArn];
  // A Taskgate in nested stacks: the CLI reads its gate stacks too, named `<stack>-<logical id>-<suffix>` by CloudFormation.
  const stacks = [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` })];
  if (props.queuePatterns) stacks.push(stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}-*/*` }));
  return { queues, gateDeadLetterQueues, deadLetterQueues, stacks };
}

/** One statement per thing an operator does, each on the narrowest resources the CLI's calls allow. */
function operatorStatements(stack: Stack, props: OperatorPolicyProps, resources: OperatorResources): iam.PolicyStatement[] {
  const { delivery } = props;
  const { queues, deadLetterQueues, stacks } = resources;
  const statement = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    new iam.PolicyStatement({ sid, actions, resources, conditions });
  return [
    // history queries the indexes; backfill reads the ledger status of each tick in batches.
    statement('ReadRunLedger', ['dynamodb:Query', 'dynamodb:BatchGetItem'], props.ledger.resourceArns),
    statement('TriggerTasks', ['sqs:SendMessage', 'sqs:GetQueueAttributes'], queues),
    // StartMessageMoveTask reads and deletes from the DLQ (its source) and sends to the task
    // queue (its destination, granted above); where it is missing, a receive-send-delete loop does the same.
    statement(
      'ManageDeadLetters',
      [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
        'sqs:PurgeQueue',
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
        'sqs:CancelMessageMoveTask',
      ],
      deadLetterQueues,
    ),
    statement(
      'PauseRules',
      ['events:EnableRule', 'events:DisableRule', 'events:DescribeRule'],
      [stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${delivery.rulePrefix}*` })],
    ),
    statement(
      'PauseSchedules',
      ['scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:CreateSchedule'],
      [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${delivery.group.scheduleGroupName}/*` })],
    ),
    // `taskgate schedules create|delete`, and pause/resume on them: the dynamic group's schedules only.
    statement(
      'ManageRunTimeSchedules',
      ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${delivery.dynamicGroup.scheduleGroupName}/*` })],
    ),
    // `taskgate schedules` lists them. ListSchedules has no resource types: IAM authorizes it on "*" alone; the CLI names the group.
    statement('ListRunTimeSchedules', ['scheduler:ListSchedules'], ['*']),
    // UpdateSchedule (pause) and CreateSchedule (`trigger --at`) re-pass the schedule's role:
    // only the app's Scheduler roles, and only to Scheduler.
    statement('PassSchedulerRoles', ['iam:PassRole'], [`arn:${stack.partition}:iam::${stack.account}:role${delivery.rolePath}*`], {
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    }),
    // Outputs and template name the queues, ledger and schedules; ListStackResources their physical names.
    statement(
      'ReadStack',
      ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:ListStackResources'],
      stacks,
    ),
    // `status`'s age of the oldest message. GetMetricData has no resource-level permissions.
    statement('ReadQueueMetrics', ['cloudwatch:GetMetricData'], ['*']),
  ];
}
