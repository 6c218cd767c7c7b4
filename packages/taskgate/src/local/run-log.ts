import { parseEnvelope } from '../core/envelope';
import { PermanentError } from '../core/errors';
import { runDetail } from '../worker/ledger/record';
import { printable } from '../core/printable';
import { attemptOf } from '../worker/rate/wait-message';
import type { BatchReport } from './poller';

/** One record's outcome as the run line shows it. */
export interface RunLine {
  readonly gate: string;
  readonly task: string;
  readonly runId?: string;
  readonly outcome: string;
  readonly durationMs: number;
  /** Seconds between the message's scheduledAt (or send time) and the start of the batch. */
  readonly latenessSeconds?: number;
  readonly attempt: number;
  readonly detail?: string;
  /** A webhook run's response status. */
  readonly responseStatus?: number;
}

/** What the ledger says about a run, when there is a ledger. */
export interface LedgerView {
  readonly status: string;
  /** The attempt the record is of (the latest claimed). */
  readonly attempts?: number;
  readonly durationMs?: number;
  readonly error?: string;
  readonly reason?: string;
  /** Epoch ms the recorded run started. */
  readonly startedAt?: number;
  /** A webhook run's response status. */
  readonly responseStatus?: number;
}

/** Ledger statuses that, after a batch whose record failed, mean another delivery holds or finished the run. */
const HELD_ELSEWHERE: readonly string[] = ['running', 'succeeded', 'skipped'];

/** The run lines of a batch: from the batch's outcome, refined by the ledger's record of each run. */
export function runLines(gate: string, report: BatchReport, ledger: ReadonlyMap<string, LedgerView>): RunLine[] {
  return report.records.map((record) => {
    const attempt = attemptOf(record);
    let task = '?';
    let runId: string | undefined;
    let latenessSeconds: number | undefined;
    let invalid: string | undefined;
    try {
      const envelope = parseEnvelope(record.body, { messageId: record.messageId, sentTimestamp: Number(record.attributes.SentTimestamp) });
      task = envelope.task;
      runId = envelope.id;
      latenessSeconds = (report.startedAt - envelope.scheduledAt.getTime()) / 1000;
    } catch (error) {
      invalid = error instanceof PermanentError ? runDetail({ reason: error.reason, error: error.message }) : (error as Error).message;
    }
    const base = { gate, task, runId, latenessSeconds, attempt, durationMs: report.invoke.durationMs };
    if (!report.invoke.ok) {
      return { ...base, outcome: report.invoke.timedOut ? 'timed out' : 'failed', detail: `${report.invoke.error.message}; the batch returns to the queue` };
    }
    const recorded = runId ? ledger.get(`${task}#${runId}`) : undefined;
    if (report.failed.has(record.messageId)) {
      // After the batch, a run still running (or already done) is another delivery's: this one
      // found it leased and comes back when that lease ends. A run of this delivery that failed says failed.
      // With a short backoff this run's next attempt may have claimed it before the record was read:
      // the record then holds that attempt, whose claim cleared this one's error.
      if (recorded?.status === 'running' && (recorded.attempts ?? 0) > attempt) return { ...base, outcome: 'retry', detail: `failed; attempt ${recorded.attempts} is already running (the ledger keeps the latest attempt's error)` };
      if (recorded && HELD_ELSEWHERE.includes(recorded.status)) return { ...base, outcome: 'retry', detail: 'leased by another worker; back when its lease ends' };
      return { ...base, outcome: 'retry', durationMs: recorded?.durationMs ?? base.durationMs, detail: recorded?.error, responseStatus: recorded?.responseStatus };
    }
    if (invalid) return { ...base, outcome: 'dead', detail: invalid };
    // A record started before this batch belongs to an earlier delivery: this one was a duplicate, not run.
    if (recorded?.startedAt !== undefined && recorded.startedAt < report.startedAt && (recorded.status === 'succeeded' || recorded.status === 'skipped')) {
      return { ...base, outcome: 'duplicate', detail: `run already ${recorded.status}; not run again` };
    }
    if (recorded) return { ...base, outcome: recorded.status, durationMs: recorded.durationMs ?? base.durationMs, detail: runDetail(recorded), responseStatus: recorded.responseStatus };
    return { ...base, outcome: 'done' };
  });
}

/** One run as one line; the task name and the detail came from a message, so they are escaped. */
export function formatRunLine(line: RunLine, now = new Date()): string {
  const late = line.latenessSeconds === undefined ? '' : `  late ${formatSeconds(Math.max(0, line.latenessSeconds))}`;
  const attempt = line.attempt > 1 ? `  attempt ${line.attempt}` : '';
  const detail = line.detail ? `  (${printable(line.detail)})` : '';
  const http = line.responseStatus === undefined ? '' : `  HTTP ${line.responseStatus}`;
  return `${clock(now)}  run  ${printable(line.gate).padEnd(12)} ${printable(line.task).padEnd(28)} ${printable(line.outcome).padEnd(9)} ${formatSeconds(line.durationMs / 1000)}${http}${late}${attempt}${detail}`;
}

/**
 * A worker's log line made readable: Powertools' JSON becomes `time gate LEVEL message key=value`;
 * anything else is printed as it came. Either way control characters are escaped: log lines carry
 * task names, ids and errors from messages. Returns undefined for lines below the shown level, and
 * (unless verbose) for the worker's outcome lines, which the run line of the same record says already.
 */
export function formatLogLine(gate: string, line: string, verbose: boolean): string | undefined {
  if (!line.trim()) return undefined;
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: a console.log of the task, printed as it came (escaped).
  }
  // CloudWatch embedded-metric lines: there is no CloudWatch here.
  if (parsed && '_aws' in parsed) return verbose ? `${clock()}  emf  ${gate.padEnd(12)} ${printable(line)}` : undefined;
  if (!parsed || typeof parsed.message !== 'string') return `${clock()}  log  ${gate.padEnd(12)} ${printable(line)}`;
  const level = String(parsed.level ?? 'INFO').toUpperCase();
  if (!verbose && level !== 'WARN' && level !== 'ERROR' && level !== 'CRITICAL') return undefined;
  // `run failed; retrying`, `message moved to the DLQ`: one event, one line (the run line, with its reason).
  if (!verbose && 'outcome' in parsed) return undefined;
  const skip = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id']);
  const extra = Object.entries(parsed)
    .filter(([key]) => !skip.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${clock()}  ${printable(level.toLowerCase()).padEnd(4)} ${gate.padEnd(12)} ${printable(`${parsed.message}${extra ? `  ${extra}` : ''}`)}`;
}

export function clock(now = new Date()): string {
  return now.toTimeString().slice(0, 8);
}

function formatSeconds(seconds: number): string {
  if (Math.abs(seconds) < 1) return `${Math.round(seconds * 1000)}ms`;
  if (Math.abs(seconds) < 120) return `${seconds.toFixed(1)}s`;
  return `${Math.round(seconds / 60)}min`;
}
