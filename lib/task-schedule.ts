import { type CfnResource, TimeZone } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ConfigurationError } from '../lambdas/errors';
import type { TaskRegistry } from '../lambdas/registry';
import type { AnyTask, TaskInput } from '../lambdas/task';
import type { Gate } from './gate';
import { METADATA_KEYS } from './outputs';
import { parseSchedule, ScheduleExpressionError } from './schedule-expression';

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
  /** `rate(...)`, `cron(...)` (six AWS fields) or `at(...)`. */
  readonly expression: string;
}

/**
 * One schedule of one task: an EventBridge rule (UTC) or, with a time zone, an EventBridge
 * Scheduler schedule, whose target is the task's gate queue and whose input is the task message,
 * with `id` and `scheduledAt` taken from the tick so two deliveries of one tick share an id.
 */
export class TaskSchedule extends Construct {
  readonly scheduleName: string;
  readonly expression: string;
  readonly timeZone?: string;
  readonly rule?: events.Rule;
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: TaskScheduleProps) {
    super(scope, id);
    try {
      // A rule is UTC-only and takes no at(); the branches below pick a rule exactly in this case.
      const target = props.timeZone === undefined && !props.expression.startsWith('at(') ? 'rule' : 'scheduler';
      parseSchedule(props.expression, { timeZone: props.timeZone, target });
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
    this.scheduleName = props.scheduleName;
    this.expression = props.expression;
    this.timeZone = props.timeZone;
    const description = props.description ?? `taskgate: ${props.task.name} ${props.expression}${props.timeZone ? ` ${props.timeZone}` : ''}`;
    const fifo = props.gate.queue.fifo;
    if (props.timeZone === undefined && !props.expression.startsWith('at(')) {
      this.rule = new events.Rule(this, 'Rule', {
        schedule: events.Schedule.expression(props.expression),
        enabled: props.enabled ?? true,
        description,
      });
      const input = events.RuleTargetInput.fromObject({
        task: props.task.name,
        payload,
        id: events.EventField.time,
        scheduledAt: events.EventField.time,
        source: 'schedule',
      });
      this.rule.addTarget(new targets.SqsQueue(props.gate.queue, { message: input, messageGroupId: fifo ? props.gate.gateName : undefined }));
    } else {
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        schedule: scheduler.ScheduleExpression.expression(props.expression, props.timeZone ? TimeZone.of(props.timeZone) : undefined),
        enabled: props.enabled ?? true,
        description,
        target: new schedulerTargets.SqsSendMessage(props.gate.queue, {
          input: scheduler.ScheduleTargetInput.fromObject({
            task: props.task.name,
            payload,
            id: scheduler.ContextAttribute.scheduledTime,
            scheduledAt: scheduler.ContextAttribute.scheduledTime,
            source: 'schedule',
          }),
          messageGroupId: fifo ? props.gate.gateName : undefined,
        }),
      });
    }
    const resource = (this.rule ?? this.schedule)!.node.defaultChild as CfnResource;
    resource.addMetadata(METADATA_KEYS.schedule, props.scheduleName);
    resource.addMetadata(METADATA_KEYS.task, props.task.name);
  }
}
