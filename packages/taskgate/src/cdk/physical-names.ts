import { ConfigurationError } from '../core/errors';
import type { TaskgateIdentity } from '../core/outputs';
import { boundedName, gateQueueNameOf, shortHash } from '../core/queue-address';

export { boundedName, shortHash } from '../core/queue-address';

/**
 * Physical names taskgate gives its resources. Rules and Scheduler schedules are named so that one
 * ARN pattern covers them all in the operator policy; queues are named after their gate, under the
 * Taskgate's prefix, so that a worker derives any gate's queue from the prefix (core/queue-address.ts)
 * and one ARN pattern covers the app's queues.
 */

/**
 * The start of every rule and queue name of one stack (`Taskgate-`), so that one ARN pattern
 * (`rule/Taskgate-*`) names all of the app's rules. A long stack name is cut and made unique with
 * a hash so that a schedule or gate name still fits.
 */
export function stackNamePrefix(stackName: string): string {
  return stackName.length <= 32 ? `${stackName}-` : `${stackName.slice(0, 23)}${shortHash(stackName)}-`;
}

/**
 * A Taskgate's name as its other-than-default names carry it: a letter, then letters, digits and
 * hyphens, 20 at most, so that the longest rule prefix (`<stack, 33>-<name, 20>-`) stays whole in a
 * 64-character rule name and `rule/<prefix>*` still covers every rule.
 */
const TASKGATE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,19}$/;

/** Throws unless `name` can scope a Taskgate's names; `what` says where the name came from. */
export function checkTaskgateName(subject: string, what: string, name: string): void {
  if (!TASKGATE_NAME.test(name)) {
    throw new ConfigurationError(`${subject}: ${what} "${name}" cannot name its resources: use a letter, then letters, digits and hyphens, 20 characters at most`);
  }
}

/**
 * The start of every rule and queue name of one Taskgate: `<stack>-` for the stack's default
 * Taskgate (the names it always had), `<stack>-<name>-` for any other, so that one ARN pattern
 * covers the rules of each.
 */
export function taskgateNamePrefix(stackName: string, taskgate?: TaskgateIdentity): string {
  const stack = stackNamePrefix(stackName);
  return taskgate === undefined || taskgate.default ? stack : `${stack}${taskgate.name}-`;
}

/** The IAM path of a Taskgate's Scheduler roles, which its operator may pass: `/taskgate/<stack>/`, `/taskgate/<stack>/<name>/`. */
export function schedulerRolePath(stackName: string, taskgate?: TaskgateIdentity): string {
  return taskgate === undefined || taskgate.default ? `/taskgate/${stackName}/` : `/taskgate/${stackName}/${taskgate.name}/`;
}

/** A rule or Scheduler schedule name: at most 64 of `[A-Za-z0-9._-]`. */
export function physicalScheduleName(prefix: string, name: string): string {
  return boundedName(`${prefix}${name}`, 64);
}

/** A gate's queue name (see gateQueueNameOf): `Taskgate-email-api`, `Taskgate-orders-email-api` in Taskgate `orders`. */
export function gateQueueName(stackName: string, gate: string, kind: 'queue' | 'dlq', fifo: boolean, taskgate?: TaskgateIdentity): string {
  return gateQueueNameOf(taskgateNamePrefix(stackName, taskgate), gate, kind, fifo);
}

/** A gate's worker function name where the Gate names it (a Taskgate in nested stacks): `<prefix><gate>`, at most 64 characters. */
export function gateWorkerName(stackName: string, gate: string, taskgate?: TaskgateIdentity): string {
  return boundedName(`${taskgateNamePrefix(stackName, taskgate)}${gate}`, 64);
}
