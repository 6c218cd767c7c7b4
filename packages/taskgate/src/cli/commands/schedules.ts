import type { Command } from 'commander';
import { parseSchedule, ScheduleExpressionError } from '../../core/schedule-expression';
import { CLI, formatTime, paint, printJson, status, table } from '../format';
import type { ScheduleInfo } from '../schedule-control';
import { resolveTarget } from '../target';
import { parseCount } from '../time';
import { registerRunTimeSchedules } from './schedules-run-time';

export interface ScheduleRow extends Omit<ScheduleInfo, 'next'> {
  readonly description: string;
  /** The next fire times (ISO, UTC); empty when paused or when the expression has no more. */
  readonly next: readonly string[];
}

/** `taskgate schedules`: every schedule with its expression, zone, description, next fire times and state. */
export function registerSchedules(program: Command): void {
  const schedules = program
    .command('schedules')
    .summary('Every schedule with its next fire times and state')
    .description(
      "List every schedule: task, expression, time zone, plain-English description, next fire times, enabled or paused; the stack's and, marked \"run time\", those created at run time (taskgate schedules create).",
    )
    .option('--count <n>', 'how many next fire times to show', '3')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', `\nExample:\n  $ ${CLI} schedules --stack MyApp\n  $ ${CLI} schedules --json | jq -r ".[] | select(.enabled | not) | .name"`)
    .action(async (options: { count: string; json?: boolean }, command: Command) => {
      const count = parseCount(options.count, '--count');
      const target = await resolveTarget(command.optsWithGlobals());
      const now = new Date();
      const rows = (await target.schedules.list()).map((schedule) => scheduleRow(schedule, now, count));
      if (options.json) {
        printJson(rows);
        return;
      }
      if (rows.length === 0) {
        console.log(`no schedules in ${target.label}`);
        return;
      }
      console.log(
        table(
          ['NAME', 'FROM', 'TASK', 'EXPRESSION', 'ZONE', 'STATE', 'NEXT', 'DESCRIPTION'],
          rows.map((r) => [
            r.name,
            r.createdAtRunTime ? paint('cyan', 'run time') : 'stack',
            r.task ?? '-',
            r.expression,
            r.timeZone,
            status(r.enabled ? 'enabled' : 'paused'),
            r.enabled ? r.next.map((t) => formatTime(t)).join(', ') || '-' : paint('gray', 'paused'),
            r.description,
          ]),
        ),
      );
    });
  registerRunTimeSchedules(schedules);
}

/** A schedule with its plain-English description and next fire times, for `taskgate schedules` and the operator page. */
export function scheduleRow(schedule: ScheduleInfo, now: Date, count: number): ScheduleRow {
  const { next: _reported, ...rest } = schedule;
  try {
    const parsed = parseSchedule(schedule.expression, {
      // A rule has no zone (UTC); the evaluator refuses one given for a rule.
      timeZone: schedule.kind === 'rule' ? undefined : schedule.timeZone,
      target: schedule.kind === 'rule' ? 'rule' : 'scheduler',
      now,
      allowPast: true,
    });
    return { ...rest, description: parsed.describe(), next: schedule.enabled ? parsed.upcoming(now, count).map((t) => t.toISOString()) : [] };
  } catch (error) {
    // A deployed expression the evaluator rejects is still listed, with why, rather than hidden.
    if (error instanceof ScheduleExpressionError) return { ...rest, description: `(cannot evaluate: ${error.message})`, next: [] };
    throw error;
  }
}
