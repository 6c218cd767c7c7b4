import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Gate } from './gate';
import type { Ledger } from './ledger';
import type { ScheduleDelivery } from './schedule-delivery';

export interface OperatorPolicyProps {
  readonly gates: readonly Gate[];
  readonly ledger: Ledger;
  readonly delivery: ScheduleDelivery;
}

/**
 * The managed policy an operator (or the role the `taskgate` CLI runs as) needs, and no more:
 * read the ledger; trigger tasks (send to the task queues); inspect, drain and redrive the DLQs;
 * pause and resume the app's rules and Scheduler schedules; read the stack's outputs.
 *
 * @example
 * new OperatorPolicy(this, 'TaskgateOperatorPolicy', { gates, ledger, delivery }).policy.attachToRole(opsRole);
 */
export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { delivery } = props;
    const queues = props.gates.map((gate) => gate.queue.queueArn);
    const deadLetterQueues = [...props.gates.map((gate) => gate.deadLetterQueue.queueArn), delivery.deadLetterQueue.queueArn];
    const statement = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      new iam.PolicyStatement({ sid, actions, resources, conditions });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `taskgate operator (${stack.stackName}): trigger tasks, read runs, manage DLQs and schedules`,
      statements: [
        props.ledger.readStatement().copy({ sid: 'ReadRunLedger' }),
        statement('TriggerTasks', ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], queues),
        // StartMessageMoveTask reads and deletes from the DLQ (its source) and sends to the task
        // queue (its destination, granted above); where it is missing, a receive-send-delete loop does the same.
        statement(
          'ManageDeadLetters',
          [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
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
        // UpdateSchedule (pause) and CreateSchedule (`trigger --at`) re-pass the schedule's role:
        // only the app's Scheduler roles, and only to Scheduler.
        statement('PassSchedulerRoles', ['iam:PassRole'], [`arn:${stack.partition}:iam::${stack.account}:role${delivery.rolePath}*`], {
          StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
        }),
        statement(
          'ReadStack',
          ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResources', 'cloudformation:GetTemplate'],
          [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` })],
        ),
      ],
    });
  }
}
