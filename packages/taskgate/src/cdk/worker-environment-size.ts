import { Token } from 'aws-cdk-lib';
import { ConfigurationError } from '../core/errors';
import { awsQueueBase } from '../core/queue-address';
import { WORKER_ENV } from '../worker/worker-env';
import type { Gate } from './gate';

/** Lambda's limit on one function's environment: every name and value together. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;
/** The longest values known only at deployment, for size checks: partition, region name, account. */
export const WORST_CASE_DEPLOYMENT = { partition: 'aws-us-gov', region: 'ap-southeast-5', account: '123456789012' } as const;
/** Characters assumed for an unresolved value (a generated table name, a role ARN). */
const UNRESOLVED_VALUE_LENGTH = 128;
/** The variables the Gate sets itself: gate name, DLQ URL, Powertools and Node options. */
const GATE_OWN_ENVIRONMENT = 320;
/**
 * Fails the synth when a worker's environment could outgrow Lambda's 4 KB once deployed: each
 * value known at synth by its length, each one known only at deployment at its longest.
 */
export function checkEnvironmentSize(gate: Gate, env: Readonly<Record<string, string>>): void {
  const { partition, region, account } = WORST_CASE_DEPLOYMENT;
  const worstBase = awsQueueBase(partition, region, account, 'amazonaws.com.cn');
  const worst: Record<string, number> = { [WORKER_ENV.queueUrlBase]: worstBase.url.length, [WORKER_ENV.queueArnBase]: worstBase.arn.length };
  const size =
    GATE_OWN_ENVIRONMENT +
    gate.gateName.length +
    // The gate's webhook variables too: a long URL in webhookUrls counts against the same 4 KB.
    Object.entries({ ...env, ...gate.webhookEnvironment }).reduce(
      (sum, [name, value]) => sum + name.length + (worst[name] ?? (Token.isUnresolved(value) ? UNRESOLVED_VALUE_LENGTH : value.length)),
      0,
    );
  if (size > LAMBDA_ENVIRONMENT_LIMIT) {
    const webhook = Object.values(gate.webhookEnvironment).reduce((sum, value) => sum + (Token.isUnresolved(value) ? UNRESOLVED_VALUE_LENGTH : value.length), 0);
    throw new ConfigurationError(
      `Taskgate: the worker environment of gate ${gate.gateName} could reach ${size} bytes, above Lambda's ${LAMBDA_ENVIRONMENT_LIMIT}; ${WORKER_ENV.fifoGates} lists every gate of concurrency 1 (${env[WORKER_ENV.fifoGates]!.length} characters) and its webhook variables take ${webhook}. Use shorter names for those gates, or shorter webhook URLs`,
    );
  }
}
