/**
 * The cost model of bench/embedded.ts: AWS requests and Lambda GB-seconds per run, counted on the
 * embedded runtime (requests at its SQS and DynamoDB servers, invocations and their durations in
 * the function host's trace), priced at us-east-1 list prices, against a bare SQS → Lambda consumer.
 */
import type { RequestCounts } from '../../src/local/servers';
import { info, ratioRow, valueRow, type BenchRow } from '../report';

/** us-east-1 list prices (USD), the ones the model assumes. Printed with the report. */
export const PRICES = {
  /** SQS standard queue, per million requests (each up to 64 KB; a batch of 10 is one request). */
  sqsRequests: 0.4,
  /** Lambda, per million invocations. */
  lambdaRequests: 0.2,
  /** Lambda duration, arm64 (the Gate's architecture), per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** DynamoDB on-demand, per million write request units (a ledger item is under 1 KB: one unit). */
  dynamodbWrites: 0.625,
} as const;

/** One measured phase: what `runs` runs cost, as counted. */
export interface CostSample {
  readonly runs: number;
  readonly sqs: RequestCounts;
  readonly dynamodb: RequestCounts;
  /** Each invocation's duration in ms, as the function host measured it. */
  readonly invocationMs: readonly number[];
  readonly memoryMb: number;
}

/** The worker's own writes. The ledger reads the embedded runtime makes for its run lines are local only: not counted. */
const WORKER_DYNAMODB = ['PutItem', 'UpdateItem', 'DeleteItem'];
/** What Lambda's event source mapping and the producer do on the queue: the same for the bare consumer. */
const QUEUE_SQS = ['SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch'];

const sum = (counts: RequestCounts, operations: readonly string[]) => operations.reduce((total, operation) => total + (counts[operation] ?? 0), 0);

/** Lambda bills each invocation's duration rounded up to the millisecond. */
const gbSeconds = (invocationMs: readonly number[], memoryMb: number) => invocationMs.reduce((total, ms) => total + Math.max(1, Math.ceil(ms)), 0) / 1000 * (memoryMb / 1024);

interface Cost {
  readonly requestsPerRun: number;
  readonly gbSecondsPerMillion: number;
  readonly usdPerMillion: number;
}

function cost(sqsRequests: number, dynamodbWrites: number, invocationMs: readonly number[], memoryMb: number, runs: number): Cost {
  const perMillion = 1_000_000 / runs;
  const gbs = gbSeconds(invocationMs, memoryMb) * perMillion;
  const usd =
    (sqsRequests * perMillion * PRICES.sqsRequests + invocationMs.length * perMillion * PRICES.lambdaRequests + dynamodbWrites * perMillion * PRICES.dynamodbWrites) / 1_000_000 +
    gbs * PRICES.lambdaGbSecond;
  return { requestsPerRun: (sqsRequests + invocationMs.length + dynamodbWrites) / runs, gbSecondsPerMillion: gbs, usdPerMillion: usd };
}

/**
 * Rows for one gate: taskgate's measured cost against the bare consumer's, which makes the same
 * queue requests and invocations (the same event source mapping) with `bareInvocationMs`: the
 * durations of a handler doing the same task work without taskgate, measured on the same function
 * host the same way (from the event's post to the environment, after its init, to the answer), and
 * no ledger.
 */
export function costRows(label: string, sample: CostSample, bareInvocationMs: readonly number[]): BenchRow[] {
  const queueRequests = sum(sample.sqs, QUEUE_SQS);
  const taskgate = cost(queueRequests, sum(sample.dynamodb, WORKER_DYNAMODB), sample.invocationMs, sample.memoryMb, sample.runs);
  const bare = cost(queueRequests, 0, bareInvocationMs, sample.memoryMb, sample.runs);
  return [
    ratioRow(`cost ${label}: AWS requests per run vs bare SQS → Lambda consumer`, taskgate.requestsPerRun, bare.requestsPerRun, 'requests', info),
    ratioRow(`cost ${label}: Lambda GB-seconds per million runs (${sample.memoryMb} MB) vs bare consumer`, taskgate.gbSecondsPerMillion, bare.gbSecondsPerMillion, 'GB-s', info),
    ratioRow(`cost ${label}: USD per million runs vs bare consumer`, taskgate.usdPerMillion, bare.usdPerMillion, 'USD', info),
  ];
}

/** The prices the cost rows assumed, as rows of the report. */
export function priceRows(): BenchRow[] {
  return [
    valueRow('price assumed (us-east-1 list): SQS standard requests', PRICES.sqsRequests, 'USD/million'),
    valueRow('price assumed (us-east-1 list): Lambda invocations', PRICES.lambdaRequests, 'USD/million'),
    valueRow('price assumed (us-east-1 list): Lambda arm64 duration', PRICES.lambdaGbSecond * 1_000_000, 'USD/million GB-s'),
    valueRow('price assumed (us-east-1 list): DynamoDB on-demand writes', PRICES.dynamodbWrites, 'USD/million WRU'),
  ];
}
