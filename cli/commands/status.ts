import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { queueCounts } from '../dead-letters';
import { formatDuration, paint, printJson, table } from '../format';
import { resolveTarget, type GateEndpoints, type Target } from '../target';

/** Work is building up when more messages wait than this many times the gate's concurrency. */
const BACKLOG_FACTOR = 10;

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
  readonly buildingUp: boolean;
}

/** `taskgate status`: each gate's queue depth, DLQ depth, oldest message age and concurrency cap. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .summary('Queue depths, dead letters and backlog per gate')
    .description(
      `Each gate's queue: visible, in flight, stalled (in flight past the tasks' timeout; embedded runtime only), delayed, dead letters, age of the oldest message, concurrency cap; ` +
        `flags gates where work builds up (visible > ${BACKLOG_FACTOR} x concurrency), dead letters wait or messages are stalled.`,
    )
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ taskgate status --stack MyApp\n  $ taskgate status --json | jq ".[] | select(.buildingUp)"')
    .action(async (options: { json?: boolean }, command: Command) => {
      const target = await resolveTarget(command.optsWithGlobals());
      const counts = await Promise.all([...target.gates.values()].map((gate) => gateStatus(target, gate)));
      // After the queues: a runtime that is gone is reported by the SQS call, with its endpoint.
      const stalled = (await target.stalledMessages?.()) ?? new Map<string, number>();
      const rows: GateStatus[] = counts.map((row) => ({ ...row, stalled: stalled.get(row.gate) ?? null }));
      if (options.json) {
        printJson(rows);
        return;
      }
      for (const warning of target.warnings) console.error(`warning: ${warning}`);
      console.log(
        table(
          ['GATE', 'VISIBLE', 'IN FLIGHT', 'STALLED', 'DELAYED', 'DLQ', 'OLDEST', 'CONCURRENCY', ''],
          rows.map((row) => [
            row.gate,
            String(row.visible),
            String(row.inFlight),
            row.stalled === null ? '-' : row.stalled > 0 ? paint('red', String(row.stalled)) : '0',
            String(row.delayed),
            row.deadLetters > 0 ? paint('red', String(row.deadLetters)) : '0',
            row.oldestAgeSeconds === null ? '-' : formatDuration(row.oldestAgeSeconds * 1000),
            row.concurrency === null ? '-' : String(row.concurrency),
            [
              row.buildingUp ? paint('yellow', 'building up') : '',
              row.deadLetters > 0 ? paint('red', 'dead letters: taskgate dlq ' + row.gate) : '',
              row.stalled ? paint('red', 'stalled: the worker has not answered past the tasks\' timeout') : '',
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

async function gateStatus(target: Target, gate: GateEndpoints): Promise<Omit<GateStatus, 'stalled'>> {
  const [queue, dlq, oldestAgeSeconds] = await Promise.all([
    queueCounts(target.sqs, gate.queueUrl),
    queueCounts(target.sqs, gate.dlqUrl),
    target.cloudwatch ? oldestAge(target, gate.queueUrl) : Promise.resolve(null),
  ]);
  const concurrency = gate.concurrency ?? null;
  return {
    gate: gate.name,
    ...queue,
    deadLetters: dlq.visible + dlq.inFlight + dlq.delayed,
    oldestAgeSeconds,
    concurrency,
    buildingUp: queue.visible > BACKLOG_FACTOR * (concurrency ?? 1),
  };
}

/** CloudWatch's ApproximateAgeOfOldestMessage, the last minute's maximum within the last 10 minutes. */
async function oldestAge(target: Target, queueUrl: string): Promise<number | null> {
  const end = new Date();
  const result = await target.cloudwatch!.send(
    new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - 10 * 60_000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'age',
          MetricStat: {
            Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: queueUrl.split('/').pop()! }] },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  const value = result.MetricDataResults?.[0]?.Values?.[0];
  return value === undefined ? null : value;
}
