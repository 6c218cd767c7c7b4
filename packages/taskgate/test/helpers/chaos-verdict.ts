import type { Message } from '@aws-sdk/client-sqs';
import { readDeadLetter } from '../../src/worker/dead-letter';
import type { RunRecord } from '../../src/worker/ledger/record';
import type { Execution, RunPlan } from './run-recorder';

/** One run's end as the servers and the recorder tell it. */
export interface RunEnd {
  readonly plan: RunPlan;
  readonly record?: RunRecord;
  readonly executions: readonly Execution[];
  readonly deadLetters: readonly Message[];
}

/** The chaos suite's classes of runs, in the table's order. */
export const CLASSES = ['ok', 'ok, environment killed', 'ok, visibility expired', 'transient, recovers', 'transient, exhausts', 'permanent'] as const;
export type RunClass = (typeof CLASSES)[number];

export function classOf(plan: RunPlan, maxAttempts: number): RunClass {
  if (plan.kind === 'permanent') return 'permanent';
  if (plan.kind === 'transient') return plan.failures >= maxAttempts ? 'transient, exhausts' : 'transient, recovers';
  if (plan.crash) return 'ok, environment killed';
  return plan.slow ? 'ok, visibility expired' : 'ok';
}

/**
 * What is wrong with one run's end, as sentences (none when it ended as it must): 0 lost (one
 * recorded run, or one dead letter with its reason), never executed twice to success, a permanent
 * failure executed once and dead-lettered with its reason, a transient one succeeded or
 * dead-lettered once its attempts reached maxAttempts, never before.
 */
export function problemsOf(end: RunEnd, maxAttempts: number): string[] {
  const { plan, record, executions, deadLetters } = end;
  const problems: string[] = [];
  const successes = executions.filter((execution) => execution.succeeded).length;
  const permanentRuns = executions.filter((execution) => execution.action === 'fail-permanently').length;
  const facts = deadLetters.map((message) => readDeadLetter(message.MessageAttributes));
  if (successes > 1) problems.push(`executed to success ${successes} times`);
  if (facts.some((fact) => fact === undefined)) problems.push('moved to the DLQ by SQS (maxReceiveCount) without a reason');
  if (!record) return [...problems, 'lost: no run record in the ledger'];
  if (record.status === 'succeeded') {
    if (successes !== 1) problems.push(`recorded as succeeded after ${successes} successful executions`);
    if (deadLetters.length > 0) problems.push(`succeeded and also in the DLQ ${deadLetters.length} time(s)`);
    if (plan.kind === 'permanent') problems.push('a permanent failure recorded as succeeded');
    // One copy alone never gets past maxAttempts failures; two copies of one run each count their own
    // attempts (SQS's receive count), so between them they may reach the execution that succeeds.
    if (plan.kind === 'transient' && plan.failures >= maxAttempts && plan.copies === 1) problems.push(`succeeded although every execution before the ${maxAttempts + 1}th fails`);
    return problems;
  }
  if (record.status !== 'dead') return [...problems, `lost: its run is still ${record.status}`];
  if (plan.kind === 'ok') problems.push(`dead-lettered (${record.reason}: ${record.error}) though it never fails`);
  if (deadLetters.length !== 1) problems.push(`dead, with ${deadLetters.length} DLQ messages instead of one`);
  const fact = facts[0];
  if (plan.kind === 'permanent') {
    if (permanentRuns !== 1) problems.push(`a permanent failure executed ${permanentRuns} times`);
    if (fact && fact.reason !== 'task-permanent') problems.push(`a permanent failure dead-lettered as ${fact.reason}`);
  }
  if (plan.kind === 'transient') {
    if (fact && fact.reason !== 'retries-exhausted') problems.push(`a transient failure dead-lettered as ${fact.reason}`);
    // Attempts are deliveries (SQS's receive count): one spent waiting out a lease or on a failed
    // AWS call counts too, so a run is dead-lettered at its first failure from attempt maxAttempts on.
    if (fact && fact.attempts < maxAttempts) problems.push(`a transient failure dead-lettered after ${fact.attempts} attempts, before maxAttempts (${maxAttempts})`);
    if (fact && plan.copies === 1 && executions.length > fact.attempts) problems.push(`executed ${executions.length} times in ${fact.attempts} attempts`);
  }
  return problems;
}

/** The run id a task message body names. */
export function runIdOf(body: string | undefined): string | undefined {
  try {
    return (JSON.parse(body ?? '') as { id?: string }).id;
  } catch {
    return undefined;
  }
}
