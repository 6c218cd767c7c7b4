import type { DeadLetter } from '../cli/dead-letters';
import type { RunRecord } from '../worker/ledger/record';

/** Dead letters and failed runs that share a reason and an error signature. */
export interface FailureGroup {
  /** `reason|signature`: what the page's redrive filter names the group by. */
  readonly key: string;
  readonly reason: string;
  /** The error with its particulars (numbers, ids, times) replaced: see {@link errorSignature}. */
  readonly signature: string;
  /** One error as it was, for the reader. */
  readonly example: string;
  readonly count: number;
  /** Of `count`: messages waiting in a DLQ (what a redrive moves) and runs in the ledger. */
  readonly deadLetters: number;
  readonly runs: number;
  readonly first: string;
  readonly last: string;
  readonly tasks: readonly string[];
  readonly gates: readonly string[];
}

/** What a failure says about itself, from a dead letter or a failed run. */
export interface Failure {
  readonly reason: string;
  readonly error: string;
  readonly task?: string;
  readonly gate: string;
  readonly at: string;
  readonly kind: 'dead-letter' | 'run';
  /** `task#id`: a dead run and its dead letter are one failure. */
  readonly run?: string;
}

const SIGNATURE_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b/gi, '<id>'],
  // A number with a unit (5s, 250ms) is a number; a digit inside a name (ec2, v2) is not.
  [/(?<![A-Za-z_<])\d+(\.\d+)?/g, '<n>'],
  [/\s+/g, ' '],
];
const MAX_SIGNATURE = 200;

/**
 * An error message with what differs between two occurrences of one failure stripped: times,
 * uuids, long hex ids and numbers become `<time>`, `<id>`, `<n>`. "order 4711 refused at
 * 2026-11-22T12:00:05Z" and "order 815 refused at 2026-11-23T08:00:00Z" have one signature.
 */
export function errorSignature(error: string): string {
  let text = error;
  for (const [pattern, replacement] of SIGNATURE_RULES) text = text.replace(pattern, replacement);
  text = text.trim();
  return text.length > MAX_SIGNATURE ? `${text.slice(0, MAX_SIGNATURE - 1)}…` : text;
}

/** The group key of one failure: its reason and its error's signature. */
export function failureKey(reason: string, error: string | undefined): string {
  return `${reason}|${errorSignature(error ?? '')}`;
}

export function fromDeadLetter(letter: DeadLetter, gate: string): Failure {
  let id: unknown;
  try {
    id = (JSON.parse(letter.body) as { id?: unknown }).id;
  } catch {
    // Not JSON: no run was recorded for it.
  }
  const run = letter.task ? `${letter.task}#${typeof id === 'string' ? id : letter.messageId}` : undefined;
  return { reason: letter.reason ?? 'retries-exhausted', error: letter.error ?? '', task: letter.task, gate, at: letter.failedAt ?? letter.sentAt ?? '', kind: 'dead-letter', run };
}

export function fromRun(run: RunRecord): Failure {
  return { reason: run.reason ?? run.status, error: run.error ?? '', task: run.task, gate: run.gate, at: run.finishedAt ?? run.startedAt, kind: 'run', run: `${run.task}#${run.id}` };
}

/** A dead run and a dead letter of one task and error this close in time are one failure. */
const SAME_FAILURE_MS = 10_000;

/**
 * Failures grouped by reason and error signature, the largest group first. A run whose dead letter
 * is among them counts once, as the dead letter (what a redrive moves): matched by run id, or, for
 * a message sent without an `id` (its run id is the SQS message id, which the DLQ's copy does not
 * keep), by task, error and time.
 */
export function groupFailures(failures: readonly Failure[]): FailureGroup[] {
  const letters = failures.filter((f) => f.kind === 'dead-letter');
  const lettered = new Set(letters.map((f) => f.run));
  const sameFailure = (run: Failure) =>
    lettered.has(run.run) || letters.some((letter) => letter.task === run.task && letter.error === run.error && Math.abs(Date.parse(letter.at) - Date.parse(run.at)) < SAME_FAILURE_MS);
  const groups = new Map<string, { failures: Failure[] }>();
  for (const failure of failures) {
    if (failure.kind === 'run' && sameFailure(failure)) continue;
    const key = failureKey(failure.reason, failure.error);
    const group = groups.get(key) ?? { failures: [] };
    group.failures.push(failure);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, { failures: members }]) => {
      const times = members.map((f) => f.at).filter(Boolean).sort();
      return {
        key,
        reason: members[0]!.reason,
        signature: errorSignature(members[0]!.error),
        example: members[0]!.error,
        count: members.length,
        deadLetters: members.filter((f) => f.kind === 'dead-letter').length,
        runs: members.filter((f) => f.kind === 'run').length,
        first: times[0] ?? '',
        last: times[times.length - 1] ?? '',
        tasks: [...new Set(members.map((f) => f.task ?? '(unknown task)'))].sort(),
        gates: [...new Set(members.map((f) => f.gate))].sort(),
      };
    })
    .sort((a, b) => b.count - a.count || b.last.localeCompare(a.last));
}
