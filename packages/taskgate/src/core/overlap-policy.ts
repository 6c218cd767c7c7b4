import { ConfigurationError } from './errors';

/**
 * What a scheduled run does while an earlier run of its task is still running (holds the task's
 * lease in the ledger): `allow` runs beside it, `skip` is recorded as skipped, `bufferOne` lets one
 * run wait for it and skips the rest (Temporal's skip and buffer-one; Kubernetes' Allow and Forbid).
 */
export type OverlapPolicy = 'allow' | 'skip' | 'bufferOne';

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['allow', 'skip', 'bufferOne'];

export function checkOverlap(task: string, policy: unknown): OverlapPolicy {
  if ((OVERLAP_POLICIES as readonly unknown[]).includes(policy)) return policy as OverlapPolicy;
  throw new ConfigurationError(`task ${task}: overlap must be one of ${OVERLAP_POLICIES.map((p) => `'${p}'`).join(', ')} (given ${JSON.stringify(policy)})`);
}
