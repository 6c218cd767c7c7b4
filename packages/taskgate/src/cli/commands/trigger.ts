import { randomUUID } from 'node:crypto';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import type { Command } from 'commander';
import type { TaskMessage } from '../../core/envelope';
import type { TaskRegistry } from '../../core/registry';
import type { AnyTask } from '../../core/task';
import { queueArn } from '../dead-letters';
import { CliError } from '../errors';
import { printable } from '../../core/printable';
import { CLI, formatTime, paint, printJson } from '../format';
import { readPayload } from '../payload';
import { isFifo, outgoing, sendBatch, type Outgoing } from '../send-messages';
import { appRegistryBeforeConnecting, resolveTarget, taskArgument, type GateEndpoints, type Target, type TargetOptions } from '../target';
import { parseTime } from '../time';

/** SQS's largest per-message delay: 15 minutes. */
const MAX_DELAY_SECONDS = 900;

interface TriggerOptions {
  readonly payload?: string;
  readonly at?: string;
  readonly id?: string;
  readonly json?: boolean;
}

/** `taskgate trigger <task>`: checks the payload, then puts one task message on the task's gate. */
export function registerTrigger(program: Command): void {
  program
    .command('trigger')
    .summary('Run a task now or at a time, payload checked first')
    .description("Run a task now (or at --at): checks the payload against the task's schema, then sends the task message to its gate.")
    .argument('<task>', `the task name (see ${CLI} tasks)`)
    .option('--payload <json|@file>', 'the payload as JSON, or @path to a JSON file', '{}')
    .option('--at <time>', 'run later: an ISO time (UTC unless it has an offset) or a duration from now such as 10m')
    .option('--id <id>', 'the run id, the dedupe key: a second trigger with the same id does not run again (default: a new uuid)')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Examples:
  $ ${CLI} trigger send-delivery-reminders --payload '{"market":"de","daysAhead":2}'
  $ ${CLI} trigger cleanup-stray-instances --payload @payload.json --at 10m --id sweep-2026-11-22`,
    )
    .action(async (taskName: string, options: TriggerOptions, command: Command) => {
      const globals = command.optsWithGlobals<TargetOptions>();
      const id = options.id ?? randomUUID();
      const now = new Date();
      const at = options.at === undefined ? undefined : parseTime(options.at, '--at', now, 1);
      if (at && at.getTime() < now.getTime() - 1000) throw new CliError(`--at ${options.at} is in the past (${at.toISOString()}); give a future time, or leave --at out to run now`);
      // Every argument is checked before anything is contacted, wherever the app is known without
      // it (a typo is a typo, runtime or not); with --stack the deployed template decides.
      const known = await appRegistryBeforeConnecting(globals);
      const early = known ? prepare(known, taskName, options.payload ?? '{}', id, at) : undefined;
      const target = await resolveTarget(globals);
      const { task, message, checked } = early ?? prepare(target.registry, taskName, options.payload ?? '{}', id, at);
      const { gate, ...sent } = await sendTaskMessage(target, message, checked, at);
      if (options.json) {
        printJson({ task: task.name, gate: gate.name, id, ...sent });
        return;
      }
      const when = at ? ` for ${formatTime(at)}` : '';
      console.log(`${sent.scheduleName ? 'scheduled' : 'sent'} ${paint('bold', task.name)} to gate ${gate.name}${when}: run id ${printable(id)}${sent.messageId ? `, message ${sent.messageId}` : `, schedule ${sent.scheduleName}`}`);
      console.log(`follow it: ${CLI} history --task ${task.name} --follow`);
    });
}

/**
 * Sends a checked task message to its task's gate: now, after an SQS delay, or through a one-time
 * schedule (see {@link needsSchedule}). `taskgate trigger` and the operator page send with this.
 */
export async function sendTaskMessage(
  target: Target,
  message: TaskMessage,
  checked: Outgoing,
  at?: Date,
): Promise<{ gate: GateEndpoints; messageId?: string; scheduleName?: string }> {
  const gate = target.gateOfTask(message.task);
  const sendAt = new Date();
  const sent = at && needsSchedule(target, gate, at, sendAt) ? await scheduleOnce(target, gate, message, checked, at) : await sendNow(target, gate, checked, at, sendAt);
  return { gate, ...sent };
}

/** The task, its message and the message as the worker will check it; throws on any bad argument. */
function prepare(registry: TaskRegistry, taskName: string, payloadArgument: string, id: string, at: Date | undefined): { task: AnyTask; message: TaskMessage; checked: Outgoing } {
  const task = taskArgument(registry, taskName);
  const payload = readPayload(registry, task, payloadArgument);
  const message: TaskMessage = { task: task.name, payload, id, ...(at ? { scheduledAt: at.toISOString(), source: 'once' } : { source: 'manual' }) };
  return { task, message, checked: outgoing(message) };
}

function delaySecondsOf(at: Date, now: Date): number {
  return Math.max(0, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

/**
 * Whether `--at` needs a one-time schedule: always on AWS (the schedule shows in the console and can
 * be deleted); on the embedded runtime only where an SQS delay cannot do it (beyond 15 minutes, or
 * any delay on a FIFO queue, which has no per-message delay).
 */
function needsSchedule(target: Target, gate: GateEndpoints, at: Date, now: Date): boolean {
  if (target.kind === 'aws') return true;
  const delaySeconds = delaySecondsOf(at, now);
  return delaySeconds > MAX_DELAY_SECONDS || (delaySeconds > 0 && isFifo(gate.queueUrl));
}

async function sendNow(target: Target, gate: GateEndpoints, checked: Outgoing, at: Date | undefined, now: Date): Promise<{ messageId?: string; scheduleName?: string }> {
  const delaySeconds = at && !isFifo(gate.queueUrl) ? delaySecondsOf(at, now) : undefined;
  const [messageId] = await sendBatch(target.sqs, gate.queueUrl, gate.name, [{ ...checked, delaySeconds }]);
  return { messageId };
}

/** A one-time EventBridge Scheduler schedule (the stack's, or the embedded runtime's) that sends the message at `at` and deletes itself. */
async function scheduleOnce(target: Target, gate: GateEndpoints, message: TaskMessage, checked: Outgoing, at: Date): Promise<{ messageId?: string; scheduleName?: string }> {
  const once = target.onceScheduling();
  // Scheduler names: 1-64 of [0-9a-zA-Z-_.].
  const scheduleName = `taskgate-${message.task.slice(0, 30)}-${randomUUID().slice(0, 8)}`;
  await once.scheduler.send(
    new CreateScheduleCommand({
      Name: scheduleName,
      GroupName: once.group,
      ScheduleExpression: `at(${at.toISOString().slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: `taskgate trigger ${message.task} --at ${at.toISOString()} (run id ${message.id})`,
      Target: {
        Arn: await queueArn(target.sqs, gate.queueUrl),
        RoleArn: once.roleArn,
        Input: checked.body,
        ...(isFifo(gate.queueUrl) ? { SqsParameters: { MessageGroupId: gate.name } } : {}),
      },
    }),
  );
  return { scheduleName };
}
