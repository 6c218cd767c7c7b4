/**
 * The one shape every benchmark reports in, and the table `npm run bench` prints from it.
 *
 * A bench module under bench/ exports `measure(): Promise<BenchRow[]>`; bench/run.ts finds it by
 * that export. Each row is one figure with the baseline it was measured against in the same run
 * (or none, for an absolute figure such as a count), the ratio, the goal and whether it was met.
 */

/** One figure of the benchmark report (`npm run bench -- --json` prints an array of these). */
export interface BenchRow {
  /** What was measured, e.g. `worker overhead per record vs fair Powertools baseline`. */
  readonly name: string;
  readonly value: number;
  /** The unit of `value` and `baseline` (µs, ms, KB, runs/s, requests/run, ...). */
  readonly unit: string;
  /** The same figure for the baseline, measured in the same run; null for an absolute figure. */
  readonly baseline: number | null;
  /** value / baseline; null without a baseline. */
  readonly ratio: number | null;
  /** The goal in words: `<= 0.5x` (a ratio), `== 20` (a value), `info` (no goal: a reading). */
  readonly goal: string;
  readonly met: boolean;
}

/** A goal on a row's ratio (or on its value when it has no baseline). */
export interface Goal {
  readonly text: string;
  test(subject: number): boolean;
}

export const atMost = (limit: number, unit = 'x'): Goal => ({ text: `<= ${limit}${unit}`, test: (subject) => subject <= limit });
export const atLeast = (limit: number, unit = 'x'): Goal => ({ text: `>= ${limit}${unit}`, test: (subject) => subject >= limit });
export const exactly = (target: number): Goal => ({ text: `== ${target}`, test: (subject) => subject === target });
/** A reading with no goal of its own (a size, a price, a count the cost model uses); always met. */
export const info: Goal = { text: 'info', test: () => true };

/** A row against a baseline: the goal applies to the ratio. */
export function ratioRow(name: string, value: number, baseline: number, unit: string, goal: Goal): BenchRow {
  const ratio = value / baseline;
  return { name, value, unit, baseline, ratio, goal: goal.text, met: goal.test(ratio) };
}

/** A row without a baseline: the goal applies to the value. */
export function valueRow(name: string, value: number, unit: string, goal: Goal = info): BenchRow {
  return { name, value, unit, baseline: null, ratio: null, goal: goal.text, met: goal.test(value) };
}

/** True when the run asked for reduced sizes (`--quick`); the report's figures are from full runs. */
export function quick(): boolean {
  return process.env.TASKGATE_BENCH_QUICK === '1';
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function figure(value: number | null): string {
  if (value === null) return '-';
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 0.01 || value === 0 ? value.toFixed(2) : value.toPrecision(2);
}

/** The report as a fixed-width table, one row per figure, then a line with the goals met. */
export function formatTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((row) => [
    row.name,
    `${figure(row.value)} ${row.unit}`,
    row.baseline === null ? '-' : `${figure(row.baseline)} ${row.unit}`,
    row.ratio === null ? '-' : `${row.ratio.toFixed(2)}x`,
    row.goal,
    row.goal === 'info' ? '' : row.met ? 'yes' : 'NO',
  ]);
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'met'];
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const goals = rows.filter((row) => row.goal !== 'info');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), '', `goals met: ${goals.filter((row) => row.met).length} of ${goals.length}`].join('\n');
}

/** Lets a bench module run on its own (`tsx bench/worker.ts`): prints its rows as the report does. */
export function runIfMain(module: NodeModule, measure: () => Promise<BenchRow[]>): void {
  if (require.main !== module) return;
  if (process.argv.includes('--quick')) process.env.TASKGATE_BENCH_QUICK = '1';
  measure().then(
    (rows) => console.log(process.argv.includes('--json') ? JSON.stringify(rows, null, 2) : formatTable(rows)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
