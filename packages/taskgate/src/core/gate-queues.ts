import { ConfigurationError } from './errors';
import { gateQueueNameOf, queueAddress } from './queue-address';
import { WORKER_ENV } from '../worker/worker-env';

/** A gate's task queue. */
export interface GateQueueAddress {
  readonly url: string;
  readonly arn: string;
}

/**
 * Every named gate's task queue, derived from the queue name prefix, the FIFO gates and the two
 * bases the Taskgate sets (on workers, the API function, and functions given `grantSend` or
 * `grantDynamicSchedules`): a fixed-size environment whatever the number of gates.
 * @param gates the gates to address: the app's task list names them
 * @param who what sets the variables, for the error that says how to fix a missing one
 */
export function gateQueuesFromEnvironment(gates: Iterable<string>, env: NodeJS.ProcessEnv, who: string): Record<string, GateQueueAddress> {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new ConfigurationError(`environment variable ${name} is not set; ${who} sets it`);
    return value;
  };
  const prefix = required(WORKER_ENV.queueNamePrefix);
  const base = { url: required(WORKER_ENV.queueUrlBase), arn: required(WORKER_ENV.queueArnBase) };
  const fifo = new Set((env[WORKER_ENV.fifoGates] ?? '').split(',').filter(Boolean));
  return Object.fromEntries([...gates].map((gate) => [gate, queueAddress(base, gateQueueNameOf(prefix, gate, 'queue', fifo.has(gate)))]));
}

/** The names of the variables {@link gateQueuesFromEnvironment} reads. */
export const GATE_QUEUE_VARIABLES = [WORKER_ENV.queueNamePrefix, WORKER_ENV.fifoGates, WORKER_ENV.queueUrlBase, WORKER_ENV.queueArnBase] as const;
