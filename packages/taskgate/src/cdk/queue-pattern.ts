import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { WORKER_ENV } from '../worker/worker-env';
import type { Gate } from './gate';

/**
 * ARN patterns and bases over a Taskgate's queues, whose names all start with its prefix
 * (`<stack>-`, core/queue-address.ts). A policy of an app with many gates grants on one pattern
 * instead of one ARN per queue, which would outgrow IAM's policy size (6,144 characters for a
 * managed policy) and, in nested stacks, CloudFormation's 200 parameters per stack.
 */

/** `arn:<partition>:sqs:<region>:<account>:<prefix><rest>`: every queue of the Taskgate with `rest = '*'`. */
export function queueArnPattern(scope: IConstruct, prefix: string, rest = '*'): string {
  return Stack.of(scope).formatArn({ service: 'sqs', resource: `${prefix}${rest}`, arnFormat: ArnFormat.NO_RESOURCE_NAME });
}

/** The worker's queue bases (WORKER_ENV.queueUrlBase and queueArnBase), as CloudFormation resolves them in the function's stack. */
export function queueBases(scope: IConstruct): { readonly url: string; readonly arn: string } {
  const stack = Stack.of(scope);
  return {
    url: Fn.join('', ['https://sqs.', stack.region, '.', stack.urlSuffix, '/', stack.account, '/']),
    arn: Fn.join('', ['arn:', stack.partition, ':sqs:', stack.region, ':', stack.account, ':']),
  };
}

/**
 * The variables from which a function derives every gate's task queue (core/gate-queues.ts): the
 * queue name prefix, the FIFO gates and the bases of `scope`'s stack. Set on workers, the API
 * function and functions given `grantSend` or `grantDynamicSchedules`.
 */
export function gateQueueEnvironment(scope: IConstruct, queueNamePrefix: string, gates: readonly Gate[]): Record<string, string> {
  const bases = queueBases(scope);
  return {
    [WORKER_ENV.queueNamePrefix]: queueNamePrefix,
    [WORKER_ENV.fifoGates]: gates.filter((gate) => gate.fifo).map((gate) => gate.gateName).join(','),
    [WORKER_ENV.queueUrlBase]: bases.url,
    [WORKER_ENV.queueArnBase]: bases.arn,
  };
}
