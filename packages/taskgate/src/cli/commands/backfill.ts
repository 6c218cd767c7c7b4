import type { Command } from 'commander';
import type { TaskMessage } from '../../core/envelope';
import { nowEntry, type QueueEntry } from '../../core/send-path';
import { RECLAIMABLE } from '../../worker/ledger/ledger';
import type { RunStatus } from '../../worker/ledger/record';
import { parseSchedule } from '../../core/schedule-expression';
import type { TriggerModel } from '../../local/template';
import { runTimeScheduleOf, type BackfilledSchedule } from '../dynamic-schedules';
import { CliError } from '../errors';
import { CLI, formatTime, paint, printJson, status, table } from '../format';
import { interruptSignal } from '../interrupt';
import { runStatuses } from '../ledger-query';
import { Progress } from '../progress';
import { gateQueueOf, refusedAsCliError, sendEntries } from '../send-messages';
import { appRegistryBeforeConnecting, resolveTarget, taskArgument, type GateEndpoints, type Target, type TargetOptions } from '../target';
import { parseCount, parseRate, parseTime } from '../time';
import { GatePacer } from '../gate-pacer';

interface BackfillOptions {
  readonly from: string;
  readonly to: string;
  readonly schedule?: string;
  readonly rate?: string;
  readonly max: string;
  readonly respectMisfire?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** One tick of the window and what the ledger knows of it. */
interface Tick {
  readonly at: string;
  readonly id: string;
  /** The run's status in the ledger when the tick already ran (or was skipped). */
  readonly ledger?: RunStatus;
  readonly entry: QueueEntry;
}

/** `taskgate backfill <task>`: enqueue the ticks a schedule had in a window, paced to the gate. */
export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .summary('Enqueue the ticks a schedule had in a window, paced to the gate')
    .description(
      "Enqueue the ticks of a task's schedule in a window, for runs that were missed: each message is exactly what the schedule would have sent for that tick (id and scheduledAt = the tick), so ticks that already ran are deduplicated by the ledger. Paced to the gate: batches of 10 at the gate's concurrency per second, waiting while more than 10 x concurrency messages are queued (--rate: a fixed rate instead).",
    )
    .argument('<task>', `the task (see ${CLI} schedules)`)
    .requiredOption('--from <time>', 'window start, inclusive: an ISO time or a duration ago such as 2d')
    .requiredOption('--to <time>', 'window end, inclusive: an ISO time or a duration ago (0s = now)')
    .option('--schedule <name>', "which schedule, when the task has several; or a schedule created at run time (taskgate schedules create)")
    .option('--rate <n/s>', 'a fixed rate such as 5/s instead of pacing to the gate')
    .option('--max <n>', 'refuse a window with more ticks than this', '10000')
    .option('--respect-misfire', "send the ticks as source \"schedule\", so the worker skips those later than the task's misfire.maxLatenessSeconds (default: source \"manual\", they run)")
    .option('--dry-run', 'list the ticks and their ledger status; send nothing')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', `\nExamples:\n  $ ${CLI} backfill refresh-exchange-rates --from 2026-11-22T00:00:00Z --to 2026-11-22T06:00:00Z --dry-run\n  $ ${CLI} backfill cleanup-stray-instances --from 2d --to 0s --rate 2/s`)
    .action(async (taskName: string, options: BackfillOptions, command: Command) => {
      // Every argument is checked before anything is contacted: the flags first (they need no app),
      // then the task name wherever the app is known without a connection.
      const globals = command.optsWithGlobals<TargetOptions>();
      const { from, to } = windowOf(options, taskName, new Date());
      const max = parseCount(options.max, '--max');
      const rate = options.rate === undefined ? undefined : parseRate(options.rate);
      const known = await appRegistryBeforeConnecting(globals);
      if (known) taskArgument(known, taskName);
      const target = await resolveTarget(globals);
      const gate = target.gateOfTask(taskName);
      const triggers = await target.triggers();
      // A --schedule the stack does not have may be one created at run time.
      const runTime = options.schedule !== undefined && !triggers.some((t) => t.name === options.schedule) && target.dynamicScheduling() !== undefined;
      const trigger = runTime ? await runTimeScheduleOf(target, taskName, options.schedule!) : pickSchedule(triggers, taskName, options.schedule);
      const ticks = await ticksOf(target, gate, trigger, taskName, { from, to }, max, options.respectMisfire ? 'schedule' : 'manual');
      // Failed and dead runs may be claimed again; succeeded, skipped and running ones would be deduplicated.
      const pending = ticks.filter((tick) => tick.ledger === undefined || RECLAIMABLE.includes(tick.ledger));
      const sending = new Set(pending.map((tick) => tick.id));

      if (options.dryRun) {
        if (options.json) printJson(ticks.map(({ entry: _entry, ...tick }) => ({ ...tick, send: sending.has(tick.id) })));
        else {
          console.log(table(['TICK', 'RUN ID', 'LEDGER', 'SEND'], ticks.map((t) => [formatTime(t.at), t.id, t.ledger ? status(t.ledger) : '-', sending.has(t.id) ? 'yes' : 'no (already ran)'])));
          console.log(`${ticks.length} tick(s) of schedule ${trigger.name} (${trigger.expression} ${trigger.timeZone}) from ${formatTime(from)} to ${formatTime(to)}; ${pending.length} would be sent to gate ${gate.name}`);
        }
        return;
      }
      const sent = await send(target, gate, pending, rate);
      const summary = { task: taskName, schedule: trigger.name, gate: gate.name, ticks: ticks.length, alreadyRan: ticks.length - pending.length, sent: sent.count, interrupted: sent.interrupted };
      if (options.json) printJson(summary);
      else {
        console.log(
          `sent ${sent.count} of ${pending.length} tick(s) of ${trigger.name} to gate ${gate.name}` +
            `${summary.alreadyRan ? ` (${summary.alreadyRan} already in the ledger, not sent)` : ''}${sent.interrupted ? paint('yellow', '; interrupted: run the same command again, sent ticks are deduplicated') : ''}`,
        );
        console.log(`follow them: ${CLI} history --task ${taskName} --follow`);
      }
    });
}

/**
 * The window, cut at now: a tick not yet due is the schedule's to send, and backfilling it would
 * run it early and make the schedule's own delivery a duplicate. A window wholly ahead is refused.
 */
function windowOf(options: BackfillOptions, task: string, now: Date): { from: Date; to: Date } {
  const from = parseTime(options.from, '--from', now, -1);
  const to = parseTime(options.to, '--to', now, -1);
  if (from > to) throw new CliError(`--from ${from.toISOString()} is after --to ${to.toISOString()}; swap them`);
  if (from > now) {
    throw new CliError(
      `the window ${from.toISOString()} to ${to.toISOString()} is in the future; backfill sends ticks that are due, and the schedule sends these itself (to run ${task} now: ${CLI} trigger ${task})`,
    );
  }
  if (to <= now) return { from, to };
  console.error(`note: --to ${to.toISOString()} is in the future; the window ends now, ${now.toISOString()}: later ticks are the schedule's to send`);
  return { from, to: now };
}

function pickSchedule(triggers: readonly TriggerModel[], task: string, name: string | undefined): TriggerModel {
  const seen = new Set<string>();
  const mine = triggers.filter((t) => t.task === task && !seen.has(t.logicalId) && seen.add(t.logicalId));
  if (name) {
    const found = mine.find((t) => t.name === name);
    if (!found) throw new CliError(`task ${task} has no schedule named "${name}"; its schedules: ${mine.map((t) => t.name).join(', ') || 'none'}`);
    return found;
  }
  if (mine.length === 0) throw new CliError(`task ${task} has no schedule, so there are no ticks to backfill; use ${CLI} trigger ${task} for one run`);
  if (mine.length > 1) throw new CliError(`task ${task} has ${mine.length} schedules (${mine.map((t) => t.name).join(', ')}); pick one with --schedule`);
  return mine[0]!;
}

async function ticksOf(target: Target, gate: GateEndpoints, trigger: BackfilledSchedule, task: string, { from, to }: { from: Date; to: Date }, max: number, source: 'schedule' | 'manual'): Promise<Tick[]> {
  const schedule = parseSchedule(trigger.expression, { timeZone: trigger.kind === 'rule' ? undefined : trigger.timeZone, target: trigger.kind === 'rule' ? 'rule' : 'scheduler', allowPast: true, now: from });
  const times: Date[] = [];
  let after = new Date(from.getTime() - 1);
  while (times.length <= max) {
    const batch = schedule.upcoming(after, 500).filter((t) => t <= to);
    times.push(...batch);
    if (batch.length < 500) break;
    after = batch[batch.length - 1]!;
  }
  if (times.length > max) throw new CliError(`the window has more than ${max} ticks of ${trigger.name} (${trigger.expression}); narrow --from/--to or raise --max`);
  const queue = gateQueueOf(gate);
  const ticks = times.map((at) => {
    // The message the schedule itself would send for this tick: same task, payload, id and scheduledAt.
    const message = JSON.parse(trigger.render(at)) as TaskMessage;
    const id = message.id ?? at.toISOString();
    const request = { task: message.task, payload: message.payload as object | undefined, id, scheduledAt: message.scheduledAt, source };
    return { at: at.toISOString(), id, entry: refusedAsCliError(() => nowEntry(request, queue)) };
  });
  const ledger = await runStatuses(target.dynamodb, target.ledgerTable(), task, ticks.map((tick) => tick.id));
  return ticks.map((tick) => ({ ...tick, ledger: ledger.get(tick.id) }));
}

async function send(target: Target, gate: GateEndpoints, ticks: readonly Tick[], rate: number | undefined): Promise<{ count: number; interrupted: boolean }> {
  const { signal, dispose } = interruptSignal();
  const pacer = new GatePacer(target.sqs, gate, { rate, signal });
  const progress = new Progress(`backfilling ${gate.name}`, ticks.length);
  let count = 0;
  try {
    for (let i = 0; i < ticks.length && !signal.aborted; i += 10) {
      const batch = ticks.slice(i, i + 10);
      await pacer.take(batch.length);
      if (signal.aborted) break;
      await sendEntries(target, gate.queueUrl, batch.map((tick) => tick.entry));
      count += batch.length;
      progress.tick(batch.length);
    }
  } finally {
    progress.stop();
    dispose();
  }
  return { count, interrupted: signal.aborted };
}
