import { parseEnvelope } from '../core/envelope';
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
}

/** What the ledger says about a run, when there is a ledger. */
export interface LedgerView {
  readonly status: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly reason?: string;
  /** Epoch ms the recorded run started. */
  readonly startedAt?: number;
}

/** The run lines of a batch: from the batch's outcome, refined by the ledger's record of each run. */
export function runLines(gate: string, report: BatchReport, ledger: ReadonlyMap<string, LedgerView>): RunLine[] {
  return report.records.map((record) => {
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
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
      invalid = (error as Error).message;
    }
    const base = { gate, task, runId, latenessSeconds, attempt, durationMs: report.invoke.durationMs };
    if (!report.invoke.ok) {
      return { ...base, outcome: report.invoke.timedOut ? 'timed out' : 'failed', detail: `${report.invoke.error.message}; the batch returns to the queue` };
    }
    const recorded = runId ? ledger.get(`${task}#${runId}`) : undefined;
    if (report.failed.has(record.messageId)) {
      return { ...base, outcome: 'retry', durationMs: recorded?.durationMs ?? base.durationMs, detail: recorded?.error };
    }
    if (invalid) return { ...base, outcome: 'dead', detail: invalid };
    // A record started before this batch belongs to an earlier delivery: this one was a duplicate, not run.
    if (recorded?.startedAt !== undefined && recorded.startedAt < report.startedAt && (recorded.status === 'succeeded' || recorded.status === 'skipped')) {
      return { ...base, outcome: 'duplicate', detail: `run already ${recorded.status}; not run again` };
    }
    if (recorded) return { ...base, outcome: recorded.status, durationMs: recorded.durationMs ?? base.durationMs, detail: recorded.reason ?? recorded.error };
    return { ...base, outcome: 'done' };
  });
}

export function formatRunLine(line: RunLine, now = new Date()): string {
  const late = line.latenessSeconds === undefined ? '' : `  late ${formatSeconds(Math.max(0, line.latenessSeconds))}`;
  const attempt = line.attempt > 1 ? `  attempt ${line.attempt}` : '';
  const detail = line.detail ? `  (${line.detail})` : '';
  return `${clock(now)}  run  ${line.gate.padEnd(12)} ${line.task.padEnd(28)} ${line.outcome.padEnd(9)} ${formatSeconds(line.durationMs / 1000)}${late}${attempt}${detail}`;
}

/**
 * A worker's log line made readable: Powertools' JSON becomes `time gate LEVEL message key=value`;
 * anything else is printed as it came. Returns undefined for lines below the shown level.
 */
export function formatLogLine(gate: string, line: string, verbose: boolean): string | undefined {
  if (!line.trim()) return undefined;
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: a console.log of the task, printed as it is.
  }
  // CloudWatch embedded-metric lines: there is no CloudWatch here.
  if (parsed && '_aws' in parsed) return verbose ? `${clock()}  emf  ${gate.padEnd(12)} ${line}` : undefined;
  if (!parsed || typeof parsed.message !== 'string') return `${clock()}  log  ${gate.padEnd(12)} ${line}`;
  const level = String(parsed.level ?? 'INFO').toUpperCase();
  if (!verbose && level !== 'WARN' && level !== 'ERROR' && level !== 'CRITICAL') return undefined;
  const skip = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id']);
  const extra = Object.entries(parsed)
    .filter(([key]) => !skip.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${clock()}  ${level.toLowerCase().padEnd(4)} ${gate.padEnd(12)} ${parsed.message}${extra ? `  ${extra}` : ''}`;
}

export function clock(now = new Date()): string {
  return now.toTimeString().slice(0, 8);
}

function formatSeconds(seconds: number): string {
  if (Math.abs(seconds) < 1) return `${Math.round(seconds * 1000)}ms`;
  if (Math.abs(seconds) < 120) return `${seconds.toFixed(1)}s`;
  return `${Math.round(seconds / 60)}min`;
}
