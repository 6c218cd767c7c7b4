import { type CfnResource, Duration, TimeZone } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../core/errors';
import type { TaskRegistry } from '../core/registry';
import type { AnyTask, TaskInput } from '../core/task';
import type { Gate } from './gate';
import { METADATA_KEYS } from '../core/outputs';
import { physicalScheduleName } from './physical-names';
import type { ScheduleDelivery } from './schedule-delivery';
import { parseSchedule, ScheduleExpressionError } from '../core/schedule-expression';

/** What a schedule line may say besides its task and expression. */
export interface ScheduleOptions<T extends AnyTask = AnyTask> {
  /**
   * The payload every tick sends; checked against the task's schema at synth time.
   * @default {}
   */
  readonly payload?: TaskInput<T>;
  /**
   * An IANA time zone. Makes this an EventBridge Scheduler schedule (rules run in UTC only).
   * @default - UTC, as an EventBridge rule
   */
  readonly timeZone?: string;
  /**
   * A flexible time window in minutes (1 to 1440): Scheduler fires somewhere inside it, which
   * spreads load. Makes this a Scheduler schedule.
   * @default - off: fires at the tick
   */
  readonly flexibleWindow?: number;
  /**
   * No tick before this date. Makes this a Scheduler schedule.
   * @default - from deployment on
   */
  readonly start?: Date;
  /**
   * No tick after this date. Makes this a Scheduler schedule.
   * @default - no end
   */
  readonly end?: Date;
  /**
   * Delivery retries when the queue cannot be reached (0 to 185); after them the tick goes to the
   * app's schedule delivery DLQ.
   * @default - AWS's: 185
   */
  readonly retryAttempts?: number;
  /**
   * How long a tick's delivery is retried (1 minute to 24 hours).
   * @default - AWS's: 24 hours
   */
  readonly maxEventAge?: Duration;
  /**
   * Whether the schedule fires.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The schedule's name, unique in the app, for `taskgate pause NAME`.
   * @default - the task's name; `<task>-2`, `<task>-3`... for its further schedules
   */
  readonly name?: string;
  /**
   * A line for the console and `taskgate schedules`.
   * @default - the task and expression
   */
  readonly description?: string;
}

export interface TaskScheduleProps extends ScheduleOptions {
  /** Unique within the app; what `taskgate pause NAME` takes. */
  readonly scheduleName: string;
  readonly task: AnyTask;
  readonly registry: TaskRegistry;
  readonly gate: Gate;
  /** The app's shared schedule group, delivery DLQ and Scheduler roles. */
  readonly delivery: ScheduleDelivery;
  /** `rate(...)`, `cron(...)` (six AWS fields) or `at(...)`. */
  readonly expression: string;
}

function checkRange(schedule: string, field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`schedule ${schedule}: ${field} must be between ${min} and ${max} (given ${value})`);
  }
}

/**
 * Sends a rule's tick to a gate queue. Unlike `aws-events-targets`' SqsQueue it adds no queue
 * policy statement per rule: `ScheduleDelivery.allowRulesToSend` covers all of the app's rules in
 * one statement per queue.
 */
class GateQueueTarget implements events.IRuleTarget {
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly config: Omit<events.RuleTargetConfig, 'arn' | 'targetResource'>,
  ) {}

  bind(): events.RuleTargetConfig {
    return { ...this.config, arn: this.queue.queueArn, targetResource: this.queue };
  }
}

/**
 * One schedule of one task: an EventBridge rule (UTC, the default) or an EventBridge Scheduler
 * schedule (a time zone, a flexible window, start/end dates or a one-time `at()`), whose target is
 * the task's gate queue and whose input is the task message, with `id` and `scheduledAt` taken
 * from the tick so two deliveries of one tick share an id. Deliveries that fail after the retry
 * policy go to the app's schedule delivery DLQ.
 *
 * @example
 * new TaskSchedule(this, 'Nightly', { scheduleName: 'nightly', task, registry, gate, delivery, expression: 'cron(0 2 * * ? *)' });
 */
export class TaskSchedule extends Construct {
  readonly scheduleName: string;
  readonly expression: string;
  readonly timeZone?: string;
  readonly rule?: events.Rule;
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: TaskScheduleProps) {
    super(scope, id);
    const oneTime = props.expression.startsWith('at(');
    // A rule is UTC-only, fixed-time and takes no at(); anything else needs EventBridge Scheduler.
    const useScheduler = oneTime || props.timeZone !== undefined || props.flexibleWindow !== undefined || props.start !== undefined || props.end !== undefined;
    try {
      parseSchedule(props.expression, { timeZone: props.timeZone, target: useScheduler ? 'scheduler' : 'rule' });
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      throw new ScheduleExpressionError(`TaskSchedule ${props.scheduleName} (task ${props.task.name}): ${error.message}`, { cause: error });
    }
    const payload = props.payload ?? {};
    try {
      props.registry.parsePayload(props.task, payload);
    } catch (error) {
      throw new ConfigurationError(`schedule ${props.expression} of task ${props.task.name}: ${(error as Error).message}`);
    }
    const name = props.scheduleName;
    if (props.flexibleWindow !== undefined) checkRange(name, 'flexibleWindow (minutes)', props.flexibleWindow, 1, 1440);
    if (props.retryAttempts !== undefined) checkRange(name, 'retryAttempts', props.retryAttempts, 0, 185);
    if (props.maxEventAge !== undefined) checkRange(name, 'maxEventAge (seconds)', props.maxEventAge.toSeconds(), 60, 86_400);
    if (oneTime && (props.start || props.end)) {
      throw new ConfigurationError(`schedule ${name}: a one-time ${props.expression} schedule fires once; Scheduler ignores start and end for it, so remove them`);
    }
    if (props.start && props.end && props.start.getTime() >= props.end.getTime()) {
      throw new ConfigurationError(`schedule ${name}: start (${props.start.toISOString()}) must be before end (${props.end.toISOString()})`);
    }
    this.scheduleName = name;
    this.expression = props.expression;
    this.timeZone = props.timeZone;
    const description = props.description ?? `taskgate: ${props.task.name} ${props.expression}${props.timeZone ? ` ${props.timeZone}` : ''}`;
    const { gate, delivery } = props;
    const message = { task: props.task.name, payload };
    if (!useScheduler) {
      delivery.allowRulesToSend(gate.queue);
      delivery.allowRulesToSend(delivery.deadLetterQueue);
      this.rule = new events.Rule(this, 'Rule', {
        // Named under the stack's prefix, so one ARN pattern covers every rule of the app.
        ruleName: physicalScheduleName(delivery.rulePrefix, name),
        schedule: events.Schedule.expression(props.expression),
        enabled: props.enabled ?? true,
        description,
      });
      this.rule.addTarget(
        new GateQueueTarget(gate.queue, {
          input: events.RuleTargetInput.fromObject({ ...message, id: events.EventField.time, scheduledAt: events.EventField.time, source: 'schedule' }),
          sqsParameters: gate.messageGroupId ? { messageGroupId: gate.messageGroupId } : undefined,
          deadLetterConfig: { arn: delivery.deadLetterQueue.queueArn },
          retryPolicy:
            props.retryAttempts !== undefined || props.maxEventAge !== undefined
              ? { maximumRetryAttempts: props.retryAttempts, maximumEventAgeInSeconds: props.maxEventAge?.toSeconds() }
              : undefined,
        }),
      );
    } else {
      // CloudFormation's AWS::Scheduler::Schedule has no ActionAfterCompletion (aws-cdk#27455), so
      // a synthesized one-time schedule stays, completed, until the stack removes it. The one-time
      // schedules workers create through the API delete themselves.
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        scheduleName: physicalScheduleName('', name),
        scheduleGroup: delivery.group,
        schedule: scheduler.ScheduleExpression.expression(props.expression, props.timeZone ? TimeZone.of(props.timeZone) : undefined),
        timeWindow: props.flexibleWindow ? scheduler.TimeWindow.flexible(Duration.minutes(props.flexibleWindow)) : undefined,
        start: props.start,
        end: props.end,
        enabled: props.enabled ?? true,
        description,
        target: new schedulerTargets.SqsSendMessage(gate.queue, {
          role: delivery.roleFor(gate),
          deadLetterQueue: delivery.deadLetterQueue,
          retryAttempts: props.retryAttempts,
          maxEventAge: props.maxEventAge,
          input: scheduler.ScheduleTargetInput.fromObject({
            ...message,
            id: scheduler.ContextAttribute.scheduledTime,
            scheduledAt: scheduler.ContextAttribute.scheduledTime,
            source: 'schedule',
          }),
          messageGroupId: gate.messageGroupId,
        }),
      });
      // The L2 writes the group's name as a literal, which leaves CloudFormation free to create
      // the schedule before its group; the dependency orders them.
      this.schedule.node.addDependency(delivery.group);
    }
    const resource = (this.rule ?? this.schedule)!.node.defaultChild as CfnResource;
    resource.addMetadata(METADATA_KEYS.schedule, name);
    resource.addMetadata(METADATA_KEYS.task, props.task.name);
  }
}
