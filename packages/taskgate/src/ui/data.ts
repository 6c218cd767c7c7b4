import { type DeadLetter, peekDeadLetters } from '../cli/dead-letters';
import { gateStatuses, type GateStatus } from '../cli/commands/status';
import { scheduleRow, type ScheduleRow } from '../cli/commands/schedules';
import { queryRuns } from '../cli/ledger-query';
import { queueMetrics, queueName, type QueueMetrics } from '../cli/queue-metrics';
import type { GateEndpoints, Target } from '../cli/target';
import { parseTime } from '../cli/time';
import { taskMetadata } from '../core/task-metadata';
import { RUN_STATUSES, type RunRecord, type RunStatus } from '../worker/ledger/record';
import { fromDeadLetter, fromRun, groupFailures, type FailureGroup } from './failures';
import { BacklogSamples, backlogGrowing, Cached, chart, CHART_MINUTES, RecentRuns, type ChartPoint } from './history';

/** What the page shows of one gate. */
export interface GateView extends GateStatus {
  /** The age past which the gate's alarm fires (the Gate's `maxMessageAge` from the stack's alarm; else 15 minutes, its default). */
  readonly maxMessageAgeSeconds: number;
  /**
   * A gate with a rate (issue 14): requests a second, burst and the tokens left; absent otherwise.
   * The page shows it beside the cap. Filled in `gates()` once GateEndpoints carries a gate's rate.
   */
  readonly rate?: { readonly perSecond: number; readonly burst: number; readonly tokens: number | null };
  /** Why the gate stands out: empty when all is well. */
  readonly alerts: readonly string[];
  readonly chart: readonly ChartPoint[];
}

export interface ScheduleView extends ScheduleRow {
  /** The newest run of the schedule's task, whatever started it. */
  readonly lastRun?: { readonly status: RunStatus; readonly startedAt: string; readonly id: string };
}

/** A run as the page shows it: the ledger's record without the worker's lease bookkeeping. */
export type RunView = Omit<RunRecord, 'leaseUntil' | 'expiresAt' | 'pk'>;

/** Everything the page shows, in one answer. */
export interface UiSnapshot {
  readonly target: { readonly kind: 'local' | 'aws'; readonly label: string; readonly actions: boolean; readonly generatedAt: string };
  readonly warnings: readonly string[];
  readonly gates: readonly GateView[];
  readonly schedules: readonly ScheduleView[];
  readonly runs: readonly RunView[];
  readonly failures: readonly FailureGroup[];
  readonly tasks: ReadonlyArray<{ readonly name: string; readonly gate: string; readonly description: string; readonly payload: Record<string, unknown> }>;
}

/** The page's run filter: task, status, runs started since (ISO time or a duration ago such as 2h). */
export interface RunFilter {
  readonly task?: string;
  readonly status?: string;
  readonly since?: string;
}

const DEFAULT_MAX_MESSAGE_AGE_SECONDS = 900;
const RUNS_SHOWN = 100;
/** How long AWS answers that change slowly are kept: CloudWatch has one point a minute, schedules change by hand. */
const METRICS_MS = 60_000;
const SCHEDULES_MS = 30_000;
const FAILED_RUNS_MS = 30_000;
/** Dead letters are peeked again when a DLQ's depth changes, and at least this often. */
const DEAD_LETTERS_MS = 60_000;
/** How far back failed runs are grouped. */
const FAILURE_WINDOW_MS = 24 * 3_600_000;
const DEAD_LETTERS_PEEKED = 200;

/**
 * The operator page's data, read through the CLI's own data code (gate status, ledger queries,
 * dead letters, schedules) over one Target: the embedded runtime or a deployed stack. What changes
 * slowly on AWS is cached (see the constants), so that a page refreshing every 5 s costs a bounded
 * number of calls: per refresh 2 GetQueueAttributes a gate and two ledger Queries; per minute one
 * GetMetricData for all gates, the schedules' states and a ledger Query per scheduled task.
 */
export class UiData {
  private readonly recent: RecentRuns;
  private readonly backlog: BacklogSamples;
  private readonly metrics: Cached<Map<string, QueueMetrics> | undefined>;
  private readonly schedules: Cached<ScheduleView[]>;
  private readonly failedRuns: Cached<RunRecord[]>;
  private readonly letters = new Map<string, { readonly depth: number; readonly at: number; readonly letters: Promise<DeadLetter[]> }>();

  constructor(
    readonly target: Target,
    private readonly options: { readonly actions: boolean; readonly now?: () => number },
  ) {
    const now = options.now ?? Date.now;
    this.recent = new RecentRuns(target.dynamodb, () => target.ledgerTable(), now);
    this.backlog = new BacklogSamples(now);
    this.metrics = new Cached(METRICS_MS, () => this.loadMetrics(), now);
    this.schedules = new Cached(SCHEDULES_MS, () => this.loadSchedules(), now);
    this.failedRuns = new Cached(FAILED_RUNS_MS, () => this.loadFailedRuns(), now);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The whole page's data; `filter` narrows the runs list. */
  async snapshot(filter: RunFilter = {}): Promise<UiSnapshot> {
    const runFilter = this.checkFilter(filter);
    const [gates, schedules, runs] = await Promise.all([this.gates(), this.schedules.get(), queryRuns(this.target.dynamodb, this.target.ledgerTable(), runFilter)]);
    const failures = await this.failures(gates);
    return {
      target: { kind: this.target.kind === 'aws' ? 'aws' : 'local', label: this.target.label, actions: this.options.actions, generatedAt: new Date(this.now()).toISOString() },
      warnings: this.target.warnings,
      gates,
      schedules,
      runs: runs.map(runView),
      failures,
      tasks: this.target.registry.all().map((task) => ({ name: task.name, gate: task.gate, description: task.description, payload: taskMetadata(task).payload })),
    };
  }

  /** The dead letters of one gate, as last peeked (a redrive's dry run reads them fresh). */
  async deadLetters(gate: GateEndpoints, depth: number, fresh = false): Promise<DeadLetter[]> {
    const known = this.letters.get(gate.name);
    if (depth === 0) return [];
    if (!fresh && known && known.depth === depth && this.now() - known.at < DEAD_LETTERS_MS) return known.letters;
    const letters = peekDeadLetters(this.target.sqs, gate.dlqUrl, { limit: DEAD_LETTERS_PEEKED, longPoll: this.target.kind === 'aws' });
    this.letters.set(gate.name, { depth, at: this.now(), letters });
    letters.catch(() => this.letters.delete(gate.name));
    return letters;
  }

  /** After an action: schedules, failures and dead letters are read again at the next refresh. */
  invalidate(): void {
    this.schedules.clear();
    this.failedRuns.clear();
    this.letters.clear();
  }

  private checkFilter(filter: RunFilter): { task?: string; status?: RunStatus; since: Date; limit: number; now: Date } {
    const now = new Date(this.now());
    const status = filter.status || undefined;
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) throw new RangeError(`status "${status}" is not one of ${RUN_STATUSES.join(', ')}`);
    const task = filter.task || undefined;
    if (task !== undefined && !this.target.registry.find(task)) throw new RangeError(this.target.registry.unknownTaskMessage(task));
    const since = filter.since ? parseTime(filter.since, 'since', now, -1) : new Date(now.getTime() - (task ? 7 : 1) * 86_400_000);
    return { task, status: status as RunStatus | undefined, since, limit: RUNS_SHOWN, now };
  }

  private async gates(): Promise<GateView[]> {
    const metrics = this.target.cloudwatch ? this.metrics.get() : undefined;
    const [statuses, series] = await Promise.all([gateStatuses(this.target, metrics), metrics, this.recent.refresh()]);
    const now = this.now();
    return statuses.map((status) => {
      const gate = this.target.gate(status.gate);
      if (!series) this.backlog.record(status.gate, status.visible);
      const points = chart(now, series?.get(queueName(gate.queueUrl))?.visible ?? this.backlog.of(status.gate), this.recent.perMinute(status.gate));
      const view = { ...status, maxMessageAgeSeconds: gate.maxMessageAgeSeconds ?? DEFAULT_MAX_MESSAGE_AGE_SECONDS, chart: points };
      return { ...view, alerts: alertsOf(view) };
    });
  }

  private loadMetrics(): Promise<Map<string, QueueMetrics> | undefined> {
    const { cloudwatch } = this.target;
    if (!cloudwatch) return Promise.resolve(undefined);
    return queueMetrics(cloudwatch, [...this.target.gates.values()].map((gate) => queueName(gate.queueUrl)), CHART_MINUTES, new Date(this.now()));
  }

  private async loadSchedules(): Promise<ScheduleView[]> {
    const now = new Date(this.now());
    // The stack's schedules only: those created at run time may be thousands (one per customer), a GetSchedule each.
    const rows = (await this.target.schedules.list({ createdAtRunTime: false })).map((schedule) => scheduleRow(schedule, now, 3));
    const tasks = [...new Set(rows.map((row) => row.task).filter((task): task is string => task !== undefined && task !== null))];
    const latest = await Promise.all(tasks.map((task) => queryRuns(this.target.dynamodb, this.target.ledgerTable(), { task, since: new Date(0), limit: 1 })));
    const lastOf = new Map(tasks.map((task, index) => [task, latest[index]![0]]));
    return rows.map((row) => {
      const last = row.task ? lastOf.get(row.task) : undefined;
      return last ? { ...row, lastRun: { status: last.status, startedAt: last.startedAt, id: last.id } } : row;
    });
  }

  private async loadFailedRuns(): Promise<RunRecord[]> {
    const since = new Date(this.now() - FAILURE_WINDOW_MS);
    const table = this.target.ledgerTable();
    const [failed, dead] = await Promise.all((['failed', 'dead'] as const).map((status) => queryRuns(this.target.dynamodb, table, { status, since, limit: 500, now: new Date(this.now()) })));
    return [...failed!, ...dead!];
  }

  private async failures(gates: readonly GateView[]): Promise<FailureGroup[]> {
    const [runs, letters] = await Promise.all([
      this.failedRuns.get(),
      Promise.all(gates.map(async (view) => ({ gate: view.gate, letters: await this.deadLetters(this.target.gate(view.gate), view.deadLetters) }))),
    ]);
    return groupFailures([...letters.flatMap(({ gate, letters: found }) => found.map((letter) => fromDeadLetter(letter, gate))), ...runs.map(fromRun)]);
  }
}

function runView(run: RunRecord): RunView {
  // The lease's token and times are the worker's; the page has no use for them.
  const { leaseUntil: _lease, expiresAt: _expires, pk: _pk, ...rest } = run as RunRecord & { claimToken?: string };
  const { claimToken: _token, ...view } = rest as typeof rest & { claimToken?: string };
  return view;
}

function alertsOf(gate: Omit<GateView, 'alerts'>): string[] {
  const alerts: string[] = [];
  if (gate.deadLetters > 0) alerts.push(`${gate.deadLetters} dead letter${gate.deadLetters === 1 ? '' : 's'}`);
  if (gate.oldestAgeSeconds !== null && gate.oldestAgeSeconds > gate.maxMessageAgeSeconds) {
    alerts.push(`oldest message ${Math.round(gate.oldestAgeSeconds / 60)} min old (alarm at ${Math.round(gate.maxMessageAgeSeconds / 60)} min)`);
  }
  if (gate.buildingUp) alerts.push(`${gate.visible} waiting: more than 10 x concurrency`);
  else if (backlogGrowing(gate.chart, gate.concurrency ?? 1)) alerts.push('backlog growing');
  return alerts;
}
