import { type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Gate } from './gate';
import { METADATA_KEYS, type TaskgateIdentity } from '../core/outputs';
import { acknowledgeWildcard } from './nag-acknowledgements';
import { schedulerRolePath, taskgateNamePrefix } from './physical-names';
import { queueArnPattern } from './queue-pattern';
import { rootStack } from './root-stack';

export interface ScheduleDeliveryProps {
  /** Every gate of the app: the one-time role may send to each gate's task queue. */
  readonly gates: readonly Gate[];
  /**
   * The Taskgate whose rule names and role path these are; another than the stack's default carries its name in them.
   * @default - the stack's default Taskgate: rules `<stack>-*`, roles under `/taskgate/<stack>/`
   */
  readonly taskgate?: TaskgateIdentity;
  /**
   * Whether the gates sit in nested stacks: the one-time role then sends to every queue under the
   * Taskgate's name prefix (one pattern, not one ARN per gate from each nested stack), and each
   * gate's Scheduler role is made in the gate's own stack.
   * @default false
   */
  readonly nested?: boolean;
}

/**
 * What every schedule of one app shares: the Scheduler schedule group (recurring schedules and the
 * one-time schedules workers and the CLI create), one DLQ for deliveries EventBridge or Scheduler
 * gave up on, the roles Scheduler assumes, and the queue policies that let the app's rules send.
 *
 * @example
 * const delivery = new ScheduleDelivery(this, 'ScheduleDelivery', { gates });
 */
export class ScheduleDelivery extends Construct {
  readonly group: scheduler.ScheduleGroup;
  /** Where a tick goes when EventBridge or Scheduler could not deliver it to a task queue. */
  readonly deadLetterQueue: sqs.Queue;
  /** The role a one-time schedule (`scheduleOnce`, `taskgate trigger --at`) runs as: SendMessage to the task queues, nothing else. */
  readonly onceRole: iam.Role;
  /**
   * The group of the schedules created at run time (`taskgate schedules create`, `PUT
   * /schedules/{name}`): apart from the stack's, so that listing it lists those only, and so that
   * a grant to create schedules there cannot touch the stack's.
   */
  readonly dynamicGroup: scheduler.ScheduleGroup;
  /** The role a schedule created at run time sends as: SendMessage to the task queues, assumable by Scheduler for the dynamic group only. */
  readonly dynamicRole: iam.Role;
  /** Prefix of every rule name of the stack; `rule/<prefix>*` covers the app's rules. */
  readonly rulePrefix: string;
  /** IAM path of every role Scheduler assumes for this app, so the operator may pass exactly these. */
  readonly rolePath: string;
  private readonly schedulerRoles = new Map<string, iam.Role>();
  private readonly rulesAllowed = new Set<sqs.IQueue>();

  constructor(scope: Construct, id: string, props: ScheduleDeliveryProps) {
    super(scope, id);
    const stack = rootStack(this);
    this.rulePrefix = taskgateNamePrefix(stack.stackName, props.taskgate);
    this.rolePath = schedulerRolePath(stack.stackName, props.taskgate);
    this.group = new scheduler.ScheduleGroup(this, 'Group');
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "this queue is itself a DLQ: the dead-letter target of the app's EventBridge rule and Scheduler targets, which cdk-nag does not follow",
    });
    this.onceRole = this.schedulerRole(this, 'OnceRole', 'taskgate one-time schedules: send a task message to a gate queue');
    this.grantSendToTaskQueues(this.onceRole, props);
    this.dynamicGroup = new scheduler.ScheduleGroup(this, 'DynamicGroup');
    // The template readers (CLI, embedded runtime) find the group by this mark, not by its name.
    (this.dynamicGroup.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.dynamicSchedules, true);
    this.dynamicRole = this.schedulerRole(this, 'DynamicRole', 'taskgate schedules created at run time: send a task message to a gate queue', this.dynamicGroup);
    this.grantSendToTaskQueues(this.dynamicRole, props);
  }

  /** SendMessage on every gate's task queue: one ARN each, or in nested stacks one pattern over the app's queue names. */
  private grantSendToTaskQueues(role: iam.Role, props: ScheduleDeliveryProps): void {
    if (!props.nested) {
      for (const gate of props.gates) gate.queue.grantSendMessages(role);
      return;
    }
    const queues = queueArnPattern(this, this.rulePrefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queues] }));
    acknowledgeWildcard(role, queues, "the task queues of the app, all named with its prefix; one ARN per gate would take a parameter per gate in each nested stack");
  }

  /** The role a recurring Scheduler schedule on `gate` runs as: it may send to that gate's queue (and the delivery DLQ) only. */
  roleFor(gate: Gate): iam.Role {
    let role = this.schedulerRoles.get(gate.gateName);
    if (!role) {
      // A gate in a nested stack gets its role there, next to its schedules, so the stack passes no role ARN around.
      const scope = Stack.of(gate) === Stack.of(this) ? this : gate;
      role = this.schedulerRole(scope, `SchedulerRole-${gate.gateName}`, `taskgate schedules of gate ${gate.gateName}`);
      this.schedulerRoles.set(gate.gateName, role);
    }
    return role;
  }

  /**
   * Lets the app's rules send to `queue`: one statement per queue whose condition names every rule
   * of the stack by prefix, where EventBridge's own target would add one statement per rule (200
   * rules would outgrow the queue policy's size limit).
   */
  allowRulesToSend(queue: sqs.IQueue): void {
    if (this.rulesAllowed.has(queue)) return;
    this.rulesAllowed.add(queue);
    const stack = Stack.of(this);
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TaskgateRulesSend',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${this.rulePrefix}*` }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
  }

  private schedulerRole(scope: Construct, id: string, description: string, group: scheduler.ScheduleGroup = this.group): iam.Role {
    const stack = Stack.of(scope);
    // The confused-deputy conditions AWS recommends: only Scheduler acting for this account's
    // schedule group may assume the role.
    return new iam.Role(scope, id, {
      description,
      path: this.rolePath,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': group.scheduleGroupArn },
        },
      }),
    });
  }
}
