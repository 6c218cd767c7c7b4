import { Annotations, type CfnResource, Duration, TimeZone, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError, PermanentError } from '../core/errors';
import { tickMessage } from '../core/task-message';
import type { TaskRegistry } from '../core/registry';
import type { AnyTask, TaskInput } from '../core/task';
import type { Gate } from './gate';
import { METADATA_KEYS } from '../core/outputs';
import { physicalScheduleName } from './physical-names';
import type { ScheduleDelivery } from './schedule-delivery';
import { noFireTimeAfter, type ParsedSchedule, parseSchedule, ScheduleExpressionError } from '../core/schedule-expression';
import { checkRange } from './check-range';

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
   * The schedule's name, unique in the app, for `taskgate pause NAME`. The schedule's construct
   * id follows from it, so a line keeps its resources when other lines are removed or moved.
   * @default - the task's name for its first schedule without a name; `<task>-<8 hex>` for its
   * others, a hash of the task, expression, time zone and payload
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
  /**
   * An EventBridge Scheduler schedule even where a rule would do: a Taskgate in nested stacks puts
   * every schedule on Scheduler, beyond EventBridge's 300 rules per bus.
   * @default false
   */
  readonly useScheduler?: boolean;
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

/** Which props of a schedule are known only at deployment (a CfnParameter: an unresolved token). */
function unresolvedProps(props: TaskScheduleProps) {
  return {
    flexibleWindow: props.flexibleWindow !== undefined && Token.isUnresolved(props.flexibleWindow),
    retryAttempts: props.retryAttempts !== undefined && Token.isUnresolved(props.retryAttempts),
    maxEventAge: props.maxEventAge?.isUnresolved() ?? false,
  };
}

/**
 * The synth-time checks of one schedule line. What the clock decides (an `at()` gone by, a cron
 * whose years have ended, an `end` passed) is a warning, not an error: a stack must still
 * synthesize the day after its one-time schedule fired.
 */
function checkSchedule(scope: Construct, props: TaskScheduleProps, useScheduler: boolean, now: Date): void {
  const name = props.scheduleName;
  const subject = `schedule ${name} (task ${props.task.name})`;
  let parsed: ParsedSchedule;
  try {
    parsed = parseSchedule(props.expression, { timeZone: props.timeZone, target: useScheduler ? 'scheduler' : 'rule', allowPast: true });
  } catch (error) {
    if (!(error instanceof ScheduleExpressionError)) throw error;
    throw new ScheduleExpressionError(`TaskSchedule ${name} (task ${props.task.name}): ${error.message}`, { cause: error });
  }
  const none = noFireTimeAfter(parsed, now);
  if (none?.kind === 'never') throw new ScheduleExpressionError(`TaskSchedule ${name} (task ${props.task.name}): ${none.message}; ${none.fix}`);
  if (none) Annotations.of(scope).addWarningV2('taskgate:schedule-past', `${subject}: ${none.message}, so it does not fire again; remove the line once it has run`);
  try {
    props.registry.parsePayload(props.task, props.payload ?? {});
  } catch (error) {
    throw new ConfigurationError(`schedule ${props.expression} of task ${props.task.name}: ${(error as Error).message}`);
  }
  if (props.flexibleWindow !== undefined) checkRange(`schedule ${name}`, 'flexibleWindow (minutes)', props.flexibleWindow, 1, 1440);
  if (props.retryAttempts !== undefined) checkRange(`schedule ${name}`, 'retryAttempts', props.retryAttempts, 0, 185);
  if (props.maxEventAge !== undefined) checkRange(`schedule ${name}`, 'maxEventAge (seconds)', props.maxEventAge.toSeconds(), 60, 86_400);
  if (parsed.kind === 'at' && (props.start || props.end)) {
    throw new ConfigurationError(`schedule ${name}: a one-time ${props.expression} schedule fires once; Scheduler ignores start and end for it, so remove them`);
  }
  if (props.start && props.end && props.start.getTime() >= props.end.getTime()) {
    throw new ConfigurationError(`schedule ${name}: start (${props.start.toISOString()}) must be before end (${props.end.toISOString()})`);
  }
  if (props.end && props.end.getTime() <= now.getTime()) {
    Annotations.of(scope).addWarningV2(
      'taskgate:schedule-ended',
      `${subject}: its end (${props.end.toISOString()}) is in the past (now ${now.toISOString()}), so it does not fire again; remove the line or move the end`,
    );
  }
}

/** A tick's task message (core's tickMessage): the tick's time, a placeholder the service fills in, as its `id` and `scheduledAt`. */
function tickInput(props: TaskScheduleProps, placeholder: string) {
  try {
    return tickMessage(props.task.name, props.payload ?? {}, placeholder);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    throw new ConfigurationError(`schedule ${props.scheduleName} (task ${props.task.name}): the worker would refuse its message: ${error.message}`);
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
    // A rule is UTC-only, fixed-time and takes no at(); anything else needs EventBridge Scheduler.
    const useScheduler =
      props.useScheduler === true ||
      props.expression.trim().startsWith('at(') ||
      props.timeZone !== undefined ||
      props.flexibleWindow !== undefined ||
      props.start !== undefined ||
      props.end !== undefined;
    checkSchedule(this, props, useScheduler, new Date());
    this.scheduleName = props.scheduleName;
    this.expression = props.expression;
    this.timeZone = props.timeZone;
    if (useScheduler) this.schedule = this.addSchedule(props);
    else this.rule = this.addRule(props);
    const resource = (this.rule ?? this.schedule)!.node.defaultChild as CfnResource;
    resource.addMetadata(METADATA_KEYS.schedule, props.scheduleName);
    resource.addMetadata(METADATA_KEYS.task, props.task.name);
  }

  private description(props: TaskScheduleProps): string {
    return props.description ?? `taskgate: ${props.task.name} ${props.expression}${props.timeZone ? ` ${props.timeZone}` : ''}`;
  }

  private addRule(props: TaskScheduleProps): events.Rule {
    const { gate, delivery } = props;
    delivery.allowRulesToSend(gate.queue);
    delivery.allowRulesToSend(delivery.deadLetterQueue);
    const rule = new events.Rule(this, 'Rule', {
      // Named under the stack's prefix, so one ARN pattern covers every rule of the app.
      ruleName: physicalScheduleName(delivery.rulePrefix, props.scheduleName),
      schedule: events.Schedule.expression(props.expression),
      enabled: props.enabled ?? true,
      description: this.description(props),
    });
    rule.addTarget(
      new GateQueueTarget(gate.queue, {
        input: events.RuleTargetInput.fromObject(tickInput(props, events.EventField.time)),
        sqsParameters: gate.messageGroupId ? { messageGroupId: gate.messageGroupId } : undefined,
        deadLetterConfig: { arn: delivery.deadLetterQueue.queueArn },
        retryPolicy:
          props.retryAttempts !== undefined || props.maxEventAge !== undefined
            ? { maximumRetryAttempts: props.retryAttempts, maximumEventAgeInSeconds: props.maxEventAge?.toSeconds() }
            : undefined,
      }),
    );
    return rule;
  }

  private addSchedule(props: TaskScheduleProps): scheduler.Schedule {
    const { gate, delivery } = props;
    // aws-cdk-lib's Scheduler L2 range-checks these without regard to tokens: a value known only
    // at deployment goes around it, straight into the resource.
    const unresolved = unresolvedProps(props);
    // CloudFormation's AWS::Scheduler::Schedule has no ActionAfterCompletion (aws-cdk#27455), so
    // a synthesized one-time schedule stays, completed, until the stack removes it. The one-time
    // schedules workers create through the API delete themselves.
    const schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: physicalScheduleName('', props.scheduleName),
      scheduleGroup: delivery.group,
      schedule: scheduler.ScheduleExpression.expression(props.expression, props.timeZone ? TimeZone.of(props.timeZone) : undefined),
      timeWindow: props.flexibleWindow ? scheduler.TimeWindow.flexible(Duration.minutes(unresolved.flexibleWindow ? 1 : props.flexibleWindow)) : undefined,
      start: props.start,
      end: props.end,
      enabled: props.enabled ?? true,
      description: this.description(props),
      target: new schedulerTargets.SqsSendMessage(gate.queue, {
        role: delivery.roleFor(gate),
        deadLetterQueue: delivery.deadLetterQueue,
        retryAttempts: unresolved.retryAttempts ? undefined : props.retryAttempts,
        maxEventAge: unresolved.maxEventAge ? undefined : props.maxEventAge,
        input: scheduler.ScheduleTargetInput.fromObject(tickInput(props, scheduler.ContextAttribute.scheduledTime)),
        messageGroupId: gate.messageGroupId,
      }),
    });
    // The L2 writes the group's name as a literal, which leaves CloudFormation free to create
    // the schedule before its group; the dependency orders them.
    schedule.node.addDependency(delivery.group);
    const resource = schedule.node.defaultChild as CfnResource;
    if (unresolved.flexibleWindow) resource.addPropertyOverride('FlexibleTimeWindow.MaximumWindowInMinutes', props.flexibleWindow);
    if (unresolved.retryAttempts) resource.addPropertyOverride('Target.RetryPolicy.MaximumRetryAttempts', props.retryAttempts);
    if (unresolved.maxEventAge) resource.addPropertyOverride('Target.RetryPolicy.MaximumEventAgeInSeconds', props.maxEventAge!.toSeconds());
    return schedule;
  }
}
