import { CfnOutput } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConfigurationError } from '../lambdas/errors';
import { TaskRegistry } from '../lambdas/registry';
import type { AnyTask } from '../lambdas/task';
import { Gate, type GateOptions } from './gate';
import { gateOutputKey } from './outputs';
import { TaskSchedule, type ScheduleOptions } from './task-schedule';

export interface TaskgateProps<T extends AnyTask> {
  /** Every task of the app: the same list the worker entry passes to `createHandler`. */
  readonly tasks: readonly T[];
  /**
   * The gates, by the names tasks give in `gate`. A task naming a gate that is not here is an
   * error, except `default`, which exists with default options when a task uses it.
   * @default - only the `default` gate
   */
  readonly gates?: Readonly<Record<string, GateOptions>>;
  /**
   * The worker's handler file.
   * @default - lambdas/worker/handler.ts of this repository
   */
  readonly workerEntry?: string;
}

/**
 * The whole of taskgate in one stack: a gate per downstream, with schedules added one line each.
 *
 * @example
 * const taskgate = new Taskgate(this, 'Taskgate', { tasks, gates: { 'email-api': { concurrency: 5 } } });
 * taskgate.schedule('cleanup-stray-instances', 'rate(1 hour)');
 * taskgate.schedule('send-delivery-reminders', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', payload: { market: 'de' } });
 */
export class Taskgate<T extends AnyTask> extends Construct {
  readonly registry: TaskRegistry<T>;
  readonly gates: ReadonlyMap<string, Gate>;
  private readonly scheduleCount = new Map<string, number>();
  private readonly scheduleNames = new Set<string>();

  constructor(scope: Construct, id: string, props: TaskgateProps<T>) {
    super(scope, id);
    this.registry = new TaskRegistry(props.tasks);
    const declared = props.gates ?? {};
    for (const task of this.registry.all()) {
      if (task.gate !== 'default' && !(task.gate in declared)) {
        throw new ConfigurationError(
          `task ${task.name} runs on gate "${task.gate}", which is not declared; add it to Taskgate's gates (declared: ${Object.keys(declared).join(', ') || 'none'})`,
        );
      }
    }
    const gates = new Map<string, Gate>();
    for (const name of new Set([...Object.keys(declared), ...this.registry.gates()])) {
      gates.set(
        name,
        new Gate(this, `Gate-${name}`, { ...declared[name], gateName: name, tasks: this.registry.onGate(name), workerEntry: props.workerEntry }),
      );
    }
    this.gates = gates;
    for (const gate of gates.values()) {
      new CfnOutput(this, `QueueUrl-${gate.gateName}`, {
        key: gateOutputKey(gate.gateName, 'QueueUrl'),
        value: gate.queue.queueUrl,
        description: `taskgate gate ${gate.gateName}: task queue URL`,
      });
      new CfnOutput(this, `DeadLetterQueueUrl-${gate.gateName}`, {
        key: gateOutputKey(gate.gateName, 'DeadLetterQueueUrl'),
        value: gate.deadLetterQueue.queueUrl,
        description: `taskgate gate ${gate.gateName}: DLQ URL`,
      });
    }
  }

  /**
   * Adds a schedule for a task in one line.
   *
   * @param task the task's name
   * @param expression `rate(1 hour)`, `cron(0 9 * * ? *)` (AWS's six fields) or `at(2026-12-24T18:00:00)`
   */
  schedule<N extends T['name']>(task: N, expression: string, options: ScheduleOptions<Extract<T, { name: N }>> = {}): TaskSchedule {
    const definition = this.registry.find(task);
    if (!definition) throw new ConfigurationError(this.registry.unknownTaskMessage(task));
    const count = (this.scheduleCount.get(task) ?? 0) + 1;
    this.scheduleCount.set(task, count);
    const scheduleName = options.name ?? (count === 1 ? task : `${task}-${count}`);
    if (this.scheduleNames.has(scheduleName)) {
      throw new ConfigurationError(`two schedules are named "${scheduleName}"; give one of them another \`name\``);
    }
    this.scheduleNames.add(scheduleName);
    return new TaskSchedule(this, `Schedule-${task}-${count}`, {
      ...options,
      scheduleName,
      task: definition,
      registry: this.registry as TaskRegistry,
      gate: this.gates.get(definition.gate)!,
      expression,
    });
  }
}
