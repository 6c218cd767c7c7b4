import type { Command } from 'commander';
import { createSchedule, deleteSchedule } from '../../client/schedules';
import { checkDynamicSchedule, checkScheduleName, type DynamicScheduleSpec } from '../../core/dynamic-schedule';
import { DynamicScheduleError } from '../../core/dynamic-schedule-error';
import type { TaskRegistry } from '../../core/registry';
import { parseSchedule } from '../../core/schedule-expression';
import { asCliErrors, dynamicSchedulesConfig, requireDynamicScheduling } from '../dynamic-schedules';
import { CliError } from '../errors';
import { CLI, formatTime, paint, printJson } from '../format';
import { readPayload } from '../payload';
import { appRegistryBeforeConnecting, resolveTarget, taskArgument, type TargetOptions } from '../target';

interface CreateOptions {
  readonly task: string;
  readonly expression: string;
  readonly timezone?: string;
  readonly payload?: string;
  readonly paused?: boolean;
  readonly replace?: boolean;
}

/** `taskgate schedules create|delete`: schedules created at run time, in the Taskgate's group for them. */
export function registerRunTimeSchedules(schedules: Command): void {
  schedules
    .command('create')
    .summary('Create a schedule at run time (one task and payload, rate/cron/at, a time zone)')
    .description(
      "Create a schedule at run time in the Taskgate's EventBridge Scheduler group for them (not in the stack): one task and payload, recurring (rate, cron) or one-time (at), in a time zone. The expression is checked as the stack's are at synth, the payload against the task's schema. Each tick runs with the run id <name>@<tick>.",
    )
    .argument('<name>', "the schedule's name: 1 to 64 of 0-9, a-z, A-Z, '-', '_', '.' (say customer-42-report)")
    .requiredOption('--task <task>', `the task it runs (see ${CLI} tasks)`)
    .requiredOption('--expression <expression>', "rate(1 hour), cron(0 9 ? * MON-FRI *) (AWS's six fields) or at(2026-12-24T18:00:00)")
    .option('--timezone <zone>', 'the IANA time zone the expression is read in (default UTC), such as Europe/Berlin')
    .option('--payload <json|@file>', 'the payload as JSON, or @path to a JSON file', '{}')
    .option('--paused', 'create it disabled; resume it with taskgate resume NAME')
    .option('--replace', 'replace a schedule created at run time of the same name instead of refusing')
    .addHelpText(
      'after',
      `\nExamples:\n  $ ${CLI} schedules create customer-42-report --task send-report --expression 'cron(0 9 ? * MON-FRI *)' --timezone Europe/Berlin --payload '{"customerId":42}'\n  $ ${CLI} schedules create trial-end-42 --task end-trial --expression 'at(2026-12-24T18:00:00)' --payload '{"customerId":42}' --stack MyApp`,
    )
    .action(async (name: string, options: CreateOptions, command: Command) => {
      const globals = command.optsWithGlobals<TargetOptions>();
      checkName(name);
      // Checked before anything is contacted wherever the app is known without it; with --stack, after reading it.
      const known = await appRegistryBeforeConnecting(globals);
      const early = known ? specOf(known, name, options) : undefined;
      const target = await resolveTarget(globals);
      const spec = early ?? specOf(target.registry, name, options);
      const config = await dynamicSchedulesConfig(target, { withQueues: true });
      const { schedule, created } = await asCliErrors(() => createSchedule(config, name, spec, { replace: options.replace }));
      const parsed = parseSchedule(schedule.expression, { timeZone: schedule.timeZone, target: 'scheduler', allowPast: true });
      const next = schedule.enabled ? parsed.upcoming(new Date(), 3).map((at) => at.toISOString()) : [];
      // `schedules` takes --json too, and commander gives it to the parent: read both.
      if (command.optsWithGlobals<{ json?: boolean }>().json) {
        printJson({ ...schedule, created, next });
        return;
      }
      console.log(
        `${created ? 'created' : 'replaced'} schedule ${paint('bold', name)} (created at run time, group ${schedule.group}): task ${schedule.task}, ${schedule.expression} ${schedule.timeZone}, ${schedule.enabled ? `next ${next.map((t) => formatTime(t)).join(', ') || '-'}` : paint('yellow', 'paused')}`,
      );
      console.log(`see it: ${CLI} schedules; delete it: ${CLI} schedules delete ${name}`);
    });

  schedules
    .command('delete')
    .summary('Delete a schedule created at run time')
    .description("Delete a schedule created at run time (taskgate schedules create, PUT /schedules/{name}). Runs it already queued still run. The stack's own schedules are removed from the stack.")
    .argument('<name>', `the schedule's name (see ${CLI} schedules)`)
    .addHelpText('after', `\nExample:\n  $ ${CLI} schedules delete customer-42-report --stack MyApp`)
    .action(async (name: string, _options: object, command: Command) => {
      checkName(name);
      const target = await resolveTarget(command.optsWithGlobals<TargetOptions>());
      if ((await target.triggers()).some((trigger) => trigger.name === name)) {
        throw new CliError(`schedule ${name} is the stack's, not one created at run time; remove its line from the stack, or pause it with ${CLI} pause ${name}`);
      }
      const scheduling = requireDynamicScheduling(target);
      await asCliErrors(() => deleteSchedule(scheduling, name));
      if (command.optsWithGlobals<{ json?: boolean }>().json) printJson({ name, deleted: true });
      else console.log(`deleted schedule ${name} (created at run time) from group ${scheduling.group}`);
    });
}

function checkName(name: string): void {
  asCliError(() => checkScheduleName(name));
}

function asCliError(check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (error instanceof DynamicScheduleError) throw new CliError(error.message);
    throw error;
  }
}

/** The spec from the flags, checked against the app: task, expression and zone, payload (as `trigger` reads it). */
function specOf(registry: TaskRegistry, name: string, options: CreateOptions): DynamicScheduleSpec {
  const task = taskArgument(registry, options.task);
  const payload = readPayload(registry, task, options.payload);
  const spec: DynamicScheduleSpec = {
    task: task.name,
    expression: options.expression,
    ...(options.timezone !== undefined ? { timeZone: options.timezone } : {}),
    payload,
    ...(options.paused ? { enabled: false } : {}),
  };
  asCliError(() => checkDynamicSchedule(name, spec, { registry }));
  return spec;
}
