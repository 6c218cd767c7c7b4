import { type CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';

/** One value a minute, oldest first: `at` is the minute's start (ISO). */
export type MinuteSeries = ReadonlyArray<{ readonly at: string; readonly value: number }>;

/** What CloudWatch says of one queue over the window asked for. */
export interface QueueMetrics {
  /** ApproximateNumberOfMessagesVisible, each minute's maximum: the backlog. */
  readonly visible: MinuteSeries;
  /** ApproximateAgeOfOldestMessage in seconds, each minute's maximum. */
  readonly oldestAgeSeconds: MinuteSeries;
}

const METRICS = { oldestAgeSeconds: 'ApproximateAgeOfOldestMessage', visible: 'ApproximateNumberOfMessagesVisible' } as const;
/** GetMetricData takes at most 500 queries a call. */
const MAX_QUERIES = 500;

/**
 * The SQS metrics of several queues over the last `minutes`, per minute, in as few GetMetricData
 * calls as the queries fit (two per queue: one call for up to 250 queues). SQS has no "age of the
 * oldest message" attribute; CloudWatch has, and lags by a minute or so. `taskgate status` reads
 * the latest age from it, the operator page the 30-minute backlog and age.
 */
export async function queueMetrics(cloudwatch: CloudWatchClient, queueNames: readonly string[], minutes: number, now = new Date()): Promise<Map<string, QueueMetrics>> {
  const queries: MetricDataQuery[] = queueNames.flatMap((queue, index) =>
    Object.entries(METRICS).map(([key, metric]) => ({
      Id: `${key === 'visible' ? 'v' : 'a'}${index}`,
      MetricStat: { Metric: { Namespace: 'AWS/SQS', MetricName: metric, Dimensions: [{ Name: 'QueueName', Value: queue }] }, Period: 60, Stat: 'Maximum' },
    })),
  );
  const values = new Map<string, Array<{ at: string; value: number }>>();
  for (let i = 0; i < queries.length; i += MAX_QUERIES) {
    let nextToken: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - minutes * 60_000),
          EndTime: now,
          ScanBy: 'TimestampAscending',
          MetricDataQueries: queries.slice(i, i + MAX_QUERIES),
          NextToken: nextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const series = values.get(result.Id ?? '') ?? [];
        (result.Timestamps ?? []).forEach((timestamp, j) => series.push({ at: new Date(timestamp).toISOString(), value: result.Values?.[j] ?? 0 }));
        values.set(result.Id ?? '', series);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  const byTime = (series: Array<{ at: string; value: number }> = []) => series.sort((a, b) => a.at.localeCompare(b.at));
  return new Map(queueNames.map((queue, index) => [queue, { visible: byTime(values.get(`v${index}`)), oldestAgeSeconds: byTime(values.get(`a${index}`)) }]));
}

/** A queue's name: the last part of its URL, as CloudWatch's QueueName dimension has it. */
export function queueName(queueUrl: string): string {
  return queueUrl.split('/').pop() ?? queueUrl;
}
