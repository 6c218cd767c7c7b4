import type { Command, CommanderError } from 'commander';
import { DateTime } from 'luxon';
import { cronFieldsOf, dstConflicts, type ParsedSchedule, parseSchedule, ScheduleExpressionError } from '../../core/schedule-expression';
import { CliError } from '../errors';
import { CLI } from '../format';

export interface ExplainOptions {
  readonly tz?: string;
  readonly count?: string;
  readonly from?: string;
  readonly json?: boolean;
}

export interface ExplainWarning {
  readonly code: 'utc-fixed-hour' | 'dst-gap' | 'dst-overlap';
  readonly message: string;
}

/** What `taskgate explain --json` prints. */
export interface ExplainReport {
  readonly expression: string;
  readonly kind: ParsedSchedule['kind'];
  /** A rule when no zone is given (rate and cron); at() always needs a Scheduler schedule. */
  readonly runsOn: 'rule' | 'scheduler';
  readonly timeZone: string;
  readonly description: string;
  readonly from: string;
  /** Each fire time in UTC and as a local ISO time with the zone's offset. */
  readonly next: ReadonlyArray<{ readonly utc: string; readonly local: string }>;
  readonly warnings: readonly ExplainWarning[];
}

const USAGE = 2;
const YEAR_MS = 366 * 24 * 3600 * 1000;

/** `taskgate explain`: a schedule expression in plain English, its next fire times, and its traps. */
export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('Explain a schedule expression: plain English, the next fire times in its zone and in UTC, DST and UTC traps.')
    .argument('<expression>', 'rate(...), cron(...) with six AWS fields, or at(yyyy-mm-ddThh:mm:ss)')
    .option('--tz <zone>', 'IANA time zone the expression runs in (an EventBridge Scheduler schedule); without it a rate or cron is a UTC rule')
    .option('--count <n>', 'how many fire times to list (1-1000)', '5')
    .option('--from <time>', 'list fire times after this ISO 8601 time (default: now; without an offset it is read in --tz)')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Examples:
  $ ${CLI} explain 'cron(30 2 * * ? *)' --tz Europe/Berlin
  $ ${CLI} explain 'cron(0 9 ? * MON-FRI *)' --count 10 --json`,
    )
    .showHelpAfterError(false)
    // Usage errors become one `taskgate: ...` line with exit code 2, like expression errors.
    .configureOutput({ outputError: () => undefined })
    .exitOverride((error: CommanderError) => {
      if (error.exitCode === 0) return;
      throw new CliError(`${error.message.replace(/^error: /, '')} (see ${CLI} explain --help)`, USAGE);
    })
    .action((expression: string, options: ExplainOptions) => {
      const report = explain(expression, options);
      console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });
}

/** The report behind `taskgate explain`; throws CliError (exit code 2) on a bad expression or option. */
export function explain(expression: string, options: ExplainOptions, machineZone = Intl.DateTimeFormat().resolvedOptions().timeZone): ExplainReport {
  const count = Number(options.count ?? '5');
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new CliError(`--count must be a whole number from 1 to 1000 (given ${options.count})`, USAGE);
  const from = parseFrom(options.from, options.tz);
  const runsOn = options.tz === undefined && !expression.trim().startsWith('at(') ? 'rule' : 'scheduler';
  let schedule: ParsedSchedule;
  try {
    schedule = parseSchedule(expression, { timeZone: options.tz, target: runsOn, now: from });
  } catch (error) {
    if (error instanceof ScheduleExpressionError) throw new CliError(error.message, USAGE);
    throw error;
  }
  const next = schedule.upcoming(from, count).map((time) => ({
    utc: time.toISOString().replace('.000Z', 'Z'),
    local: DateTime.fromJSDate(time, { zone: schedule.timeZone }).toISO({ suppressMilliseconds: true }) ?? time.toISOString(),
  }));
  const warnings: ExplainWarning[] = [];
  if (runsOn === 'rule') warnings.push(...utcWarnings(schedule, machineZone, from.getUTCFullYear()));
  for (const conflict of dstConflicts(schedule, from, new Date(from.getTime() + YEAR_MS))) {
    warnings.push({ code: conflict.kind === 'gap' ? 'dst-gap' : 'dst-overlap', message: conflict.message });
  }
  return { expression: schedule.expression, kind: schedule.kind, runsOn, timeZone: schedule.timeZone, description: schedule.describe(), from: from.toISOString(), next, warnings };
}

/**
 * The heuristic for "meant in local time": a cron on a rule whose hour field names fixed hours
 * (`9`, `8-17`, `9,13`; not `*` or a step over the whole day) is a time of day, and a rule reads it
 * in UTC. We cannot know what the author meant, so we only say what it is in the machine's zone
 * and how to make it local; nothing is said when the machine itself runs in UTC.
 */
function utcWarnings(schedule: ParsedSchedule, machineZone: string, year: number): ExplainWarning[] {
  const fields = cronFieldsOf(schedule);
  if (fields === undefined) return [];
  const hourField = fields.raw[1]!;
  if (hourField === '*' || /^(\*|0)\/\d+$/.test(hourField)) return [];
  const firstHour = fields.hours[0]!;
  const clock = `${String(firstHour).padStart(2, '0')}:${String(fields.minutes[0]!).padStart(2, '0')}`;
  const machine = machineZone === 'UTC' || machineZone === 'Etc/UTC' ? '' : ` (${localClocks(year, firstHour, fields.minutes[0]!, machineZone)})`;
  return [
    {
      code: 'utc-fixed-hour',
      message: `EventBridge rules run in UTC: ${clock} in this expression is ${clock} UTC${machine}. If you meant a local time, give the schedule a timeZone (an EventBridge Scheduler schedule), e.g. ${CLI} explain '${schedule.expression}' --tz ${machine ? machineZone : 'Europe/Berlin'}`,
    },
  ];
}

/** "10:00 in Europe/Berlin in winter, 11:00 in summer": a UTC time of day in a zone, in January and July. */
function localClocks(year: number, hour: number, minute: number, zone: string): string {
  const at = (month: number) => DateTime.fromObject({ year, month, day: 15, hour, minute }, { zone: 'UTC' }).setZone(zone).toFormat('HH:mm');
  const [january, july] = [at(1), at(7)];
  return january === july ? `${january} in ${zone}` : `${january} in ${zone} in January, ${july} in July`;
}

function parseFrom(text: string | undefined, zone: string | undefined): Date {
  if (text === undefined) return new Date();
  const parsed = DateTime.fromISO(text, { zone: zone ?? 'UTC', setZone: false });
  if (!parsed.isValid) throw new CliError(`--from ${text} is not an ISO 8601 time; write e.g. --from 2026-03-28T12:00:00Z`, USAGE);
  return parsed.toJSDate();
}

function formatReport(report: ExplainReport): string {
  const lines = [report.expression, `  ${report.description}`, `  runs on: ${report.runsOn === 'rule' ? 'an EventBridge rule (UTC)' : `an EventBridge Scheduler schedule (${report.timeZone})`}`];
  lines.push(report.next.length === 0 ? `  no fire times after ${report.from}` : `  next ${report.next.length} after ${report.from}:`);
  for (const time of report.next) {
    const local = DateTime.fromISO(time.local, { setZone: true }).setLocale('en-US');
    lines.push(report.timeZone === 'UTC' ? `    ${local.toFormat('ccc yyyy-MM-dd HH:mm')} UTC` : `    ${local.toFormat('ccc yyyy-MM-dd HH:mm ZZ')} ${report.timeZone}  =  ${time.utc}`);
  }
  for (const warning of report.warnings) lines.push(`  warning: ${warning.message}`);
  return lines.join('\n');
}
