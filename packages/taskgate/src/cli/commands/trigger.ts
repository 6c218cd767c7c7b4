import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { TaskRegistry } from '../../core/registry';
import { requestBody, type SendRequest } from '../../core/send-path';
import { CliError } from '../errors';
import { printable } from '../../core/printable';
import { CLI, formatTime, paint, printJson } from '../format';
import { readPayload } from '../payload';
import { gateQueueOf, refusedAsCliError, sendCliTask } from '../send-messages';
import { appRegistryBeforeConnecting, resolveTarget, taskArgument, type TargetOptions } from '../target';
import { parseTime } from '../time';

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
      // it (a typo is a typo, runtime or not). With --stack the task list is the deployed template's,
      // read from the stack; the message contract's limits on what was typed (the id) still come first.
      const known = await appRegistryBeforeConnecting(globals);
      if (!known) refusedAsCliError(() => requestBody({ task: taskName, payload: {}, id, source: at ? 'once' : 'manual', at }, now));
      const early = known ? prepare(known, taskName, options.payload ?? '{}', id, at) : undefined;
      const target = await resolveTarget(globals);
      const request = early ?? prepare(target.registry, taskName, options.payload ?? '{}', id, at);
      const gate = target.gateOfTask(request.task);
      // On AWS every --at is a one-time schedule: it shows in the console and can be deleted before it fires.
      const sent = await sendCliTask(target, { ...request, preferSchedule: target.kind === 'aws' }, gateQueueOf(gate), new Date());
      if (options.json) {
        printJson({ task: request.task, gate: gate.name, id, ...(sent.messageId ? { messageId: sent.messageId } : { scheduleName: sent.scheduleName }), ...(sent.alreadyScheduled ? { alreadyScheduled: true } : {}) });
        return;
      }
      const when = at ? ` for ${formatTime(at)}` : '';
      const how = sent.messageId ? `, message ${sent.messageId}` : sent.alreadyScheduled ? `, already scheduled by schedule ${sent.scheduleName} (this run id was scheduled before)` : `, schedule ${sent.scheduleName}`;
      console.log(`${sent.scheduleName ? 'scheduled' : 'sent'} ${paint('bold', request.task)} to gate ${gate.name}${when}: run id ${printable(id)}${how}`);
      console.log(`follow it: ${CLI} history --task ${request.task} --follow`);
    });
}

/** The request, its payload checked against the task's schema and its body against the contract; throws on any bad argument. */
function prepare(registry: TaskRegistry, taskName: string, payloadArgument: string, id: string, at: Date | undefined): SendRequest {
  const task = taskArgument(registry, taskName);
  const payload = readPayload(registry, task, payloadArgument);
  const request: SendRequest = { task: task.name, payload, id, source: at ? 'once' : 'manual', at };
  refusedAsCliError(() => requestBody(request, new Date()));
  return request;
}
