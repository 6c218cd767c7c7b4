/**
 * The fair worker baseline: the features of taskgate's worker assembled from Powertools —
 * BatchProcessor, each record parsed by the Powertools parser with zod (the SQS record schema with
 * the body as JSON of the task's schema), made idempotent with `makeIdempotent`, Logger (one line per record, as the worker
 * logs each run) and Metrics (a count and a duration per record, published once per batch), in
 * middy. The persistence layer is the caller's: a Map in the per-record benchmark (as fast as
 * taskgate's ledger stand-in), DynamoDB for the cold start (as taskgate's ledger).
 *
 * Each piece the fastest way it can be used: BatchProcessor's own parser integration
 * (`{ parser, innerSchema }`) builds and compiles the extended zod schema again for every record
 * (about 1 ms a record here), so the baseline builds it once and calls the parser's `parse`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parse } from '@aws-lambda-powertools/parser';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';

/** The benchmark's task payload, as the Powertools user writes it (full zod, which its parser takes). */
export const payloadSchema = z.object({
  task: z.literal('ship-order'),
  id: z.string(),
  payload: z.object({ orderId: z.string(), quantity: z.number().int().positive(), express: z.boolean().default(false) }),
});

/** The no-op task both sides run: adds the quantity to a sink so the work cannot be optimised away. */
export const sink = { total: 0 };

export function fairBaselineHandler(persistenceStore: BasePersistenceLayer) {
  const logger = new Logger({ serviceName: 'baseline' });
  const metrics = new Metrics({ namespace: 'Baseline', serviceName: 'baseline' });
  const processor = new BatchProcessor(EventType.SQS);
  const recordSchema = SqsRecordSchema.extend({ body: JSONStringified(payloadSchema) });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'messageId' });
  const runTask = makeIdempotent(
    async (raw: unknown) => {
      const started = Date.now();
      const record = parse(raw, undefined, recordSchema);
      sink.total += record.body.payload.quantity;
      logger.info('run succeeded', { task: record.body.task, runId: record.body.id });
      metrics.addMetric('RunsSucceeded', MetricUnit.Count, 1);
      metrics.addMetric('RunDuration', MetricUnit.Milliseconds, Date.now() - started);
    },
    { persistenceStore, config },
  );
  return middy<SQSEvent, SQSBatchResponse>()
    .use(logMetrics(metrics))
    .handler(async (event: SQSEvent, context: Context) => {
      config.registerLambdaContext(context);
      return processPartialResponse(event, runTask as (record: unknown) => Promise<void>, processor, { context });
    });
}
