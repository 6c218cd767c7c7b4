import type { Command } from 'commander';
import { RUN_STATUSES, runDetail, type RunRecord, type RunStatus } from '../../worker/ledger/record';
import { printable } from '../../core/printable';
import { CliError } from '../errors';
import { CLI, clip, formatDuration, formatTime, jsonText, printJson, status, table } from '../format';
import { interruptSignal } from '../interrupt';
import { queryRuns } from '../ledger-query';
import { appRegistryBeforeConnecting, resolveTarget, taskArgument, type TargetOptions } from '../target';
import { parseCount, parseTime, sleep } from '../time';

const FOLLOW_INTERVAL_MS = 2000;
/** How far back a --follow poll looks beyond the runs still running: slow ledger writes arrive late. */
const FOLLOW_WINDOW_MS = 5 * 60_000;

interface HistoryOptions {
  readonly task?: string;
  readonly status?: string;
  readonly since?: string;
  readonly limit: string;
  readonly follow?: boolean;
  readonly json?: boolean;
}

/** `taskgate history`: runs from the ledger, filtered by task, status and time; `--follow` tails it. */
export function registerHistory(program: Command): void {
  program
    .command('history')
    .summary('Runs from the ledger; --follow to tail')
    .description('Runs from the ledger, oldest first: status, attempts, duration, error. --follow prints new runs and status changes every 2 s.')
    .option('--task <task>', 'only this task')
    .option('--status <status>', `only runs in this status: ${RUN_STATUSES.join(', ')}`)
    .option('--since <time>', 'runs started since an ISO time or a duration ago such as 30m, 2h, 7d (default: 24h without --task)')
    .option('--limit <n>', 'the newest n runs', '50')
    .option('--follow', 'keep printing new runs and status changes until Ctrl-C')
    .option('--json', 'print JSON for scripts (with --follow: one JSON object per line)')
    .addHelpText('after', `\nExamples:\n  $ ${CLI} history --task send-delivery-reminders --since 7d --status dead\n  $ ${CLI} history --follow`)
    .action(async (options: HistoryOptions, command: Command) => {
      const statusFilter = options.status as RunStatus | undefined;
      if (statusFilter !== undefined && !RUN_STATUSES.includes(statusFilter)) {
        throw new CliError(`--status "${options.status}" is not a run status; give one of ${RUN_STATUSES.join(', ')}`);
      }
      const limit = parseCount(options.limit, '--limit');
      const now = new Date();
      const since = options.since
        ? parseTime(options.since, '--since', now, -1)
        : options.task
          ? new Date(0)
          : new Date(now.getTime() - 86_400_000);
      const globals = command.optsWithGlobals<TargetOptions>();
      // A task name is checked before anything is contacted, wherever the app is known without it.
      const known = options.task ? await appRegistryBeforeConnecting(globals) : undefined;
      if (known && options.task) taskArgument(known, options.task);
      const target = await resolveTarget(globals);
      if (options.task) taskArgument(target.registry, options.task);
      const ledger = target.ledgerTable();
      const runs = (await queryRuns(target.dynamodb, ledger, { task: options.task, status: statusFilter, since, limit })).reverse();
      if (options.json && !options.follow) printJson(runs);
      else if (options.json) runs.forEach((run) => console.log(jsonText(run)));
      else if (runs.length > 0) console.log(table(HEADERS, runs.map(row)));
      else if (!options.follow) console.log(`no runs${options.task ? ` of ${options.task}` : ''} since ${formatTime(since)}${statusFilter ? ` with status ${statusFilter}` : ''}`);
      if (!options.follow) return;

      const seen = new Map(runs.map((run) => [run.pk, version(run)]));
      const { signal, dispose } = interruptSignal();
      if (!options.json) console.error(`following${options.task ? ` ${options.task}` : ''}; Ctrl-C to stop`);
      try {
        while (!signal.aborted) {
          await sleep(FOLLOW_INTERVAL_MS, signal);
          if (signal.aborted) break;
          const running = [...seen.entries()].filter(([, v]) => v.startsWith('running|')).map(([, v]) => v.split('|')[1]!);
          const windowStart = new Date(Math.min(Date.now() - FOLLOW_WINDOW_MS, ...running.map((iso) => Date.parse(iso))));
          const pollSince = new Date(Math.max(since.getTime(), windowStart.getTime()));
          const fresh = (await queryRuns(target.dynamodb, ledger, { task: options.task, status: statusFilter, since: pollSince, limit: 1000 })).reverse();
          for (const run of fresh) {
            if (seen.get(run.pk) === version(run)) continue;
            seen.set(run.pk, version(run));
            console.log(options.json ? jsonText(run) : table(HEADERS, [row(run)]).split('\n')[1]);
          }
        }
      } finally {
        dispose();
      }
    });
}

const HEADERS = ['STARTED', 'TASK', 'RUN ID', 'STATUS', 'ATTEMPTS', 'DURATION', 'SOURCE', 'ERROR / REASON'];

function row(run: RunRecord): string[] {
  return [
    formatTime(run.startedAt),
    clip(run.task, 40),
    clip(run.id, 40),
    status(printable(run.status)),
    String(run.attempts),
    run.durationMs === undefined ? '-' : formatDuration(run.durationMs),
    clip(run.source, 10),
    clip(runDetail(run), 70),
  ];
}

/** What makes a run worth printing again: its status and its end. */
function version(run: RunRecord): string {
  return `${run.status}|${run.startedAt}|${run.finishedAt ?? ''}|${run.attempts}`;
}
