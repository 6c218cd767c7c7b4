/**
 * The machine the report ran on, as a reading beside the embedded runtime's rows (part of
 * `npm run bench`; alone: npx tsx bench/machine.ts). Not a figure of taskgate's.
 *
 * How much slower a thread touches its data right after it slept than back to back: a pointer
 * chase through a random cycle of 256 KB (each load waits for the one before, so its time is the
 * memory's latency), timed back to back and after 5 ms asleep, interleaved. On a machine whose
 * caches keep a sleeping thread's data, the ratio is near 1. Where they do not, every step of the
 * embedded runtime that follows a wait (a drained run's claim after the receive, its finish after
 * the task) pays it, and the drain and throughput rows read lower than on such a machine.
 */
import { sleep } from '../src/cli/time';
import { info, median, ratioRow, runIfMain, type BenchRow } from './report';

/** Within a core's own cache on current x86 and Arm servers, so back to back it is served from there. */
const WORKING_SET_BYTES = 256 * 1024;
const GAP_MS = 5;
const SAMPLES = 60;
const ROUNDS = 3;

/** A random cyclic permutation: `next[i]` is the index visited after `i`, every index once. */
function randomCycle(length: number): Uint32Array {
  const order = Uint32Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const next = new Uint32Array(length);
  for (let i = 0; i < length; i++) next[order[i]!] = order[(i + 1) % length]!;
  return next;
}

function chase(next: Uint32Array): number {
  let at = 0;
  for (let i = 0; i < next.length; i++) at = next[at]!;
  return at;
}

function timed(next: Uint32Array): number {
  const started = performance.now();
  // The result is used, so the loop cannot be dropped as dead code.
  if (chase(next) < 0) throw new Error('unreachable');
  return (performance.now() - started) * 1000;
}

export async function measure(): Promise<BenchRow[]> {
  const next = randomCycle(WORKING_SET_BYTES / Uint32Array.BYTES_PER_ELEMENT);
  for (let i = 0; i < SAMPLES; i++) timed(next);
  const hot: number[] = [];
  const afterSleep: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < SAMPLES; i++) hot.push(timed(next));
    for (let i = 0; i < SAMPLES; i++) {
      await sleep(GAP_MS);
      afterSleep.push(timed(next));
    }
  }
  return [ratioRow(`machine: a thread's ${WORKING_SET_BYTES / 1024} KB of data touched after ${GAP_MS} ms asleep vs back to back`, median(afterSleep), median(hot), 'µs', info)];
}

runIfMain(module, measure);
