import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryRuns } from '../cli/ledger-query';
import type { MinuteSeries } from '../cli/queue-metrics';
import type { RunStatus } from '../worker/ledger/record';

/** How far back the page's charts look. */
export const CHART_MINUTES = 30;
/** A ledger query for the chart re-reads this far behind the previous one: runs written late, retries. */
const OVERLAP_MS = 2 * 60_000;
/** The most runs one chart query reads; a busier stack shows the newest. */
const CHART_QUERY_LIMIT = 5000;

/** One minute of a gate's chart. */
export interface ChartPoint {
  /** The minute's start, ISO. */
  readonly at: string;
  /** Messages waiting (the most seen in that minute); null when nothing was measured. */
  readonly backlog: number | null;
  /** Runs started in that minute. */
  readonly runs: number;
}

/** A value that is loaded again only when older than `maxAgeMs`: what keeps the page's AWS calls few. */
export class Cached<T> {
  private value?: { readonly at: number; readonly promise: Promise<T> };

  constructor(
    private readonly maxAgeMs: number,
    private readonly load: () => Promise<T>,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (!this.value || this.now() - this.value.at >= this.maxAgeMs) {
      const promise = this.load();
      this.value = { at: this.now(), promise };
      // A failed load is tried again at the next call rather than kept for maxAgeMs.
      promise.catch(() => (this.value = undefined));
    }
    return this.value.promise;
  }

  /** The next get() loads again (after an action changed what it holds). */
  clear(): void {
    this.value = undefined;
  }
}

export function minuteOf(time: number): number {
  return Math.floor(time / 60_000) * 60_000;
}

/**
 * Runs of the last 30 minutes per gate and minute, from the ledger: the first read takes the whole
 * window, each later one only what started since shortly before the previous read (one small
 * Query a refresh instead of re-reading 30 minutes).
 */
export class RecentRuns {
  private readonly runs = new Map<string, { readonly gate: string; readonly startedAt: number; readonly status: RunStatus }>();
  private lastRead?: number;

  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  async refresh(): Promise<void> {
    const now = this.now();
    const windowStart = now - CHART_MINUTES * 60_000;
    const since = this.lastRead === undefined ? windowStart : Math.max(windowStart, this.lastRead - OVERLAP_MS);
    const runs = await queryRuns(this.dynamodb, this.table(), { since: new Date(since), limit: CHART_QUERY_LIMIT, now: new Date(now) });
    this.lastRead = now;
    for (const run of runs) this.runs.set(run.pk, { gate: run.gate, startedAt: Date.parse(run.startedAt), status: run.status });
    for (const [key, run] of this.runs) if (run.startedAt < windowStart) this.runs.delete(key);
  }

  /** Runs started per minute on one gate. */
  perMinute(gate: string): Map<number, number> {
    const counts = new Map<number, number>();
    for (const run of this.runs.values()) {
      if (run.gate === gate) counts.set(minuteOf(run.startedAt), (counts.get(minuteOf(run.startedAt)) ?? 0) + 1);
    }
    return counts;
  }
}

/**
 * Each gate's backlog per minute. On AWS it is CloudWatch's series (given whole each time); where
 * there is no CloudWatch (the embedded runtime) it is what the page's own refreshes measured, the
 * most seen in each minute, kept for 30 minutes.
 */
export class BacklogSamples {
  private readonly samples = new Map<string, Map<number, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  record(gate: string, visible: number): void {
    const minute = minuteOf(this.now());
    const series = this.samples.get(gate) ?? new Map<number, number>();
    series.set(minute, Math.max(series.get(minute) ?? 0, visible));
    for (const at of series.keys()) if (at < minute - CHART_MINUTES * 60_000) series.delete(at);
    this.samples.set(gate, series);
  }

  of(gate: string): Map<number, number> {
    return this.samples.get(gate) ?? new Map();
  }
}

/** The 30 points of a gate's chart, oldest first. */
export function chart(now: number, backlog: Map<number, number> | MinuteSeries, runs: Map<number, number>): ChartPoint[] {
  const backlogByMinute = backlog instanceof Map ? backlog : new Map(backlog.map((point) => [minuteOf(Date.parse(point.at)), point.value]));
  const last = minuteOf(now);
  return Array.from({ length: CHART_MINUTES }, (_, index) => {
    const at = last - (CHART_MINUTES - 1 - index) * 60_000;
    return { at: new Date(at).toISOString(), backlog: backlogByMinute.get(at) ?? null, runs: runs.get(at) ?? 0 };
  });
}

/** Whether the backlog grew over the last five measured minutes and is more than the gate runs at once. */
export function backlogGrowing(points: readonly ChartPoint[], concurrency: number): boolean {
  const measured = points.filter((point) => point.backlog !== null).slice(-5);
  if (measured.length < 3) return false;
  const first = measured[0]!.backlog!;
  const last = measured[measured.length - 1]!.backlog!;
  return last > first && last > concurrency;
}
