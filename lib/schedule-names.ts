import { createHash } from 'node:crypto';

/** EventBridge rule names and Scheduler schedule names: at most 64 of `[A-Za-z0-9._-]`. */
const MAX_NAME = 64;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * The start of every rule name of one stack (`Taskgate-`), so that one ARN pattern
 * (`rule/Taskgate-*`) names all of the app's rules in the operator policy and the queue policies.
 * A long stack name is cut and made unique with a hash so a schedule name still fits.
 */
export function ruleNamePrefix(stackName: string): string {
  return stackName.length <= 32 ? `${stackName}-` : `${stackName.slice(0, 23)}${shortHash(stackName)}-`;
}

/** `prefix + name`, with characters AWS rejects replaced and a hash suffix when too long. */
export function physicalScheduleName(prefix: string, name: string): string {
  const full = `${prefix}${name}`.replace(/[^A-Za-z0-9._-]/g, '-');
  return full.length <= MAX_NAME ? full : `${full.slice(0, MAX_NAME - 9)}-${shortHash(full)}`;
}
