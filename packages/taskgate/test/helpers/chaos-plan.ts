import { seededRandom } from './fault-proxy';
import type { RunPlan } from './run-recorder';

/** Shares of the chaos suite's runs, as the issue states them. */
export const CHAOS_SHARES = { permanent: 0.05, transient: 0.2, killed: 0.02, slow: 0.02, sentTwice: 0.05 } as const;

/**
 * The chaos suite's runs, each planned from its id and the seed alone (so a failing run can be
 * replayed by its seed): 5 % fail permanently, 20 % transiently (1 to 3 failing executions; 3 is
 * the task's maxAttempts, so a third of them never succeed), and of the rest some kill their
 * execution environment mid-run or outlast their message's visibility; 5 % of all are sent twice.
 */
export function chaosPlans(count: number, seed: number): RunPlan[] {
  return Array.from({ length: count }, (_, index) => planFor(`chaos-${index}`, seed));
}

function planFor(id: string, seed: number): RunPlan {
  const random = seededRandom(fnv1a(`${seed}:${id}`));
  const roll = random();
  const kind = roll < CHAOS_SHARES.permanent ? 'permanent' : roll < CHAOS_SHARES.permanent + CHAOS_SHARES.transient ? 'transient' : 'ok';
  const failures = kind === 'transient' ? 1 + Math.floor(random() * 3) : 0;
  const event = random();
  const crash = kind === 'ok' && event < CHAOS_SHARES.killed ? (random() < 0.5 ? 'exit' : 'throw-uncaught') : undefined;
  const slow = kind === 'ok' && !crash && event < CHAOS_SHARES.killed + CHAOS_SHARES.slow;
  return { id, kind, failures, crash, slow, copies: random() < CHAOS_SHARES.sentTwice ? 2 : 1 };
}

/** FNV-1a, 32 bits: a seed from a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
