import type { Command } from 'commander';
import { queueCounts } from '../dead-letters';
import { CLI, formatDuration, paint, printJson, table } from '../format';
import { queueMetrics, queueName, type QueueMetrics } from '../queue-metrics';
import { rateUsage } from '../rate-usage';
import { resolveTarget, type Target } from '../target';

/** Work is building up when more messages wait than this many times the gate's concurrency. */
export const BACKLOG_FACTOR = 10;

export interface GateStatus {
  readonly gate: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly deadLetters: number;
  /** Seconds; null when the target cannot tell (the embedded server). */
  readonly oldestAgeSeconds: number | null;
  /** Messages in flight longer than their tasks' timeout; null when the target cannot tell (AWS). */
  readonly stalled: number | null;
  readonly concurrency: number | null;
  /** The gate's rate, the tokens it took in the last 60 s and those its bucket holds now; null for a gate without a rate. */
  readonly rate: { readonly perSecond: number; readonly burst: number; readonly usedLastMinute: number; readonly tokens: number } | null;
  /** Messages waiting for the gate's rate: the queue's delayed messages (re-sent with a delay); null for a gate without a rate. */
  readonly waitingForRate: number | null;
  readonly buildingUp: boolean;
}

/** `taskgate status`: each gate's queue depth, DLQ depth, oldest message age and concurrency cap. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .summary('Queue depths, dead letters and backlog per gate')
    .description(
      `Each gate's queue: visible, in flight, stalled (in flight past the tasks' timeout; embedded runtime only), delayed, dead letters, age of the oldest message, concurrency cap; ` +
        `for a gate with a rate: its rate, tokens taken in the last minute and messages waiting for a token (re-sent with a delay); ` +
        `flags gates where work builds up (visible > ${BACKLOG_FACTOR} x concurrency), dead letters wait or messages are stalled.`,
    )
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', `\nExample:\n  $ ${CLI} status --stack MyApp\n  $ ${CLI} status --json | jq ".[] | select(.buildingUp)"`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const target = await resolveTarget(command.optsWithGlobals());
      const rows = await gateStatuses(target);
      if (options.json) {
        printJson(rows);
        return;
      }
      for (const warning of target.warnings) console.error(`warning: ${warning}`);
      console.log(
        table(
          ['GATE', 'VISIBLE', 'IN FLIGHT', 'STALLED', 'DELAYED', 'DLQ', 'OLDEST', 'CONCURRENCY', 'RATE', 'TOKENS 1 MIN', 'WAITING', ''],
          rows.map((row) => [
            row.gate,
            String(row.visible),
            String(row.inFlight),
            row.stalled === null ? '-' : row.stalled > 0 ? paint('red', String(row.stalled)) : '0',
            String(row.delayed),
            row.deadLetters > 0 ? paint('red', String(row.deadLetters)) : '0',
            row.oldestAgeSeconds === null ? '-' : formatDuration(row.oldestAgeSeconds * 1000),
            row.concurrency === null ? '-' : String(row.concurrency),
            row.rate === null ? '-' : `${row.rate.perSecond}/s burst ${row.rate.burst}`,
            row.rate === null ? '-' : String(row.rate.usedLastMinute),
            row.waitingForRate === null ? '-' : String(row.waitingForRate),
            [
              row.buildingUp ? paint('yellow', 'building up') : '',
              row.deadLetters > 0 ? paint('red', `dead letters: ${CLI} dlq ${row.gate}`) : '',
              row.stalled ? paint('red', "stalled: the worker has not answered past the tasks' timeout") : '',
            ]
              .filter(Boolean)
              .join(', '),
          ]),
        ),
      );
      if (!target.cloudwatch) {
        console.log(paint('gray', 'OLDEST: the embedded SQS server does not report it (SQS has no such attribute; on AWS it comes from CloudWatch).'));
      }
      if (!target.stalledMessages) {
        console.log(paint('gray', "STALLED: only the embedded runtime tracks invocations; on AWS Lambda ends one at the function timeout (the dashboard's worker errors and duration show it)."));
      }
    });
}

/**
 * Every gate's status: two GetQueueAttributes a gate (its queue and DLQ) and, on AWS, one
 * GetMetricData for all gates' oldest-message age. `taskgate status`, `taskgate top` and the
 * operator page all read gates through this; the page passes the CloudWatch metrics it keeps for a
 * minute, so that it does not ask CloudWatch at every refresh.
 */
export async function gateStatuses(target: Target, cachedMetrics?: Promise<Map<string, QueueMetrics> | undefined>): Promise<GateStatus[]> {
  const gates = [...target.gates.values()];
  const [counts, metrics, used] = await Promise.all([
    Promise.all(gates.map((gate) => Promise.all([queueCounts(target.sqs, gate.queueUrl), queueCounts(target.sqs, gate.dlqUrl)]))),
    cachedMetrics ?? (target.cloudwatch ? queueMetrics(target.cloudwatch, gates.map((gate) => queueName(gate.queueUrl)), 10) : undefined),
    rateUsage(target, gates),
  ]);
  // After the queues: a runtime that is gone is reported by the SQS call, with its endpoint.
  const stalled = (await target.stalledMessages?.()) ?? new Map<string, number>();
  return gates.map((gate, index) => {
    const [queue, dlq] = counts[index]!;
    const concurrency = gate.concurrency ?? null;
    const ages = metrics?.get(queueName(gate.queueUrl))?.oldestAgeSeconds;
    return {
      gate: gate.name,
      ...queue,
      deadLetters: dlq.visible + dlq.inFlight + dlq.delayed,
      // The latest minute CloudWatch has; null where the target cannot tell (the embedded server).
      oldestAgeSeconds: ages && ages.length > 0 ? ages[ages.length - 1]!.value : null,
      concurrency,
      rate: gate.rate ? { perSecond: gate.rate.perSecond, burst: gate.rate.burst, usedLastMinute: 0, tokens: gate.rate.burst, ...used.get(gate.name) } : null,
      waitingForRate: gate.rate ? queue.delayed : null,
      stalled: stalled.get(gate.name) ?? null,
      buildingUp: queue.visible > BACKLOG_FACTOR * (concurrency ?? 1),
    };
  });
}
