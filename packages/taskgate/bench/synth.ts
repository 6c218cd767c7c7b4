/**
 * Synth time of a Taskgate app of 20 gates and 200 schedules against a hand-written stack of the
 * same resources (bench/hand-written-stack.ts), in the same process, interleaved over several
 * rounds. Bundling and CloudFormation validation are off for both (each would add the same cost).
 *
 * Part of `npm run bench`; alone: npx tsx bench/synth.ts [rounds]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { App, Stack } from 'aws-cdk-lib';
import { Taskgate } from '../src/cdk/taskgate';
import { FIXTURE_TASK_MODULE, scaleGateNames, scaleSchedule, scaleTasks } from '../test/helpers/apps';
import { HandWrittenStack } from './hand-written-stack';
import { atMost, median, quick, ratioRow, runIfMain, type BenchRow } from './report';

const GATES = 20;
const SCHEDULES = 200;
const tasks = scaleTasks(GATES);
const gateOptions = (i: number) => ({ concurrency: i === 0 ? 1 : 3 });

function newApp(): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-bench-'));
  return { app: new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }), outdir };
}

function taskgateApp(app: App): Stack {
  const stack = new Stack(app, 'ScaleApp');
  const taskgate = new Taskgate(stack, 'Taskgate', { tasks, taskModule: FIXTURE_TASK_MODULE, gates: Object.fromEntries(scaleGateNames(GATES).map((g, i) => [g, gateOptions(i)])) });
  for (let n = 0; n < SCHEDULES; n++) {
    const { task, expression, timeZone } = scaleSchedule(n, tasks);
    taskgate.schedule(task, expression, { timeZone });
  }
  return stack;
}

function handWrittenApp(app: App): Stack {
  const gates = scaleGateNames(GATES).map((name, i) => ({
    name,
    concurrency: gateOptions(i).concurrency,
    timeoutSeconds: Math.max(...tasks.filter((t) => t.gate === name).map((t) => t.timeout)),
    tasks: tasks.filter((t) => t.gate === name).map((t) => t.name),
  }));
  const schedules = Array.from({ length: SCHEDULES }, (_, n) => {
    const line = scaleSchedule(n, tasks);
    return { ...line, gate: tasks.find((t) => t.name === line.task)!.gate };
  });
  return new HandWrittenStack(app, 'ScaleApp', gates, schedules);
}

/** Builds and synthesizes one app; returns milliseconds and the template's resource count by type. */
function synthOnce(build: (app: App) => Stack, collectGarbage: () => void): { ms: number; types: Map<string, number> } {
  collectGarbage();
  const { app, outdir } = newApp();
  const start = performance.now();
  const stack = build(app);
  const assembly = app.synth();
  const ms = performance.now() - start;
  const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string }> };
  const types = new Map<string, number>();
  for (const resource of Object.values(template.Resources)) types.set(resource.Type, (types.get(resource.Type) ?? 0) + 1);
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, types };
}

export async function measure(): Promise<BenchRow[]> {
  const rounds = Number(process.argv[2]) || (quick() ? 3 : 11);
  // A full collection before each measurement, so one variant does not pay for the other's garbage.
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  const measureOne = (build: (app: App) => Stack) => synthOnce(build, collectGarbage);
  // One warm-up of each, so module loading and JIT do not count against the first measured.
  const warmTaskgate = measureOne(taskgateApp);
  const warmHand = measureOne(handWrittenApp);
  const differences = [...new Set([...warmTaskgate.types.keys(), ...warmHand.types.keys()])]
    .filter((type) => warmTaskgate.types.get(type) !== warmHand.types.get(type))
    .map((type) => `${type}: taskgate ${warmTaskgate.types.get(type) ?? 0}, hand-written ${warmHand.types.get(type) ?? 0}`);
  if (differences.length > 0) console.error(`resource counts differ:\n  ${differences.join('\n  ')}`);

  const taskgateMs: number[] = [];
  const handMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a warmer heap.
    const order = round % 2 === 0 ? ['taskgate', 'hand'] : ['hand', 'taskgate'];
    for (const which of order) {
      if (which === 'taskgate') taskgateMs.push(measureOne(taskgateApp).ms);
      else handMs.push(measureOne(handWrittenApp).ms);
    }
  }
  const resources = [...warmTaskgate.types.values()].reduce((a, b) => a + b, 0);
  console.error(`synth of ${GATES} gates + ${SCHEDULES} schedules (${resources} resources), ${rounds} interleaved rounds:`);
  console.error(`  taskgate      median ${median(taskgateMs).toFixed(0)} ms, min ${Math.min(...taskgateMs).toFixed(0)} ms  (${taskgateMs.map((m) => m.toFixed(0)).join(', ')})`);
  console.error(`  hand-written  median ${median(handMs).toFixed(0)} ms, min ${Math.min(...handMs).toFixed(0)} ms  (${handMs.map((m) => m.toFixed(0)).join(', ')})`);
  // Per-round ratios pair each measurement with its neighbour, so a busy moment on a shared machine
  // weighs on both sides of one ratio instead of on one variant's median.
  const paired = taskgateMs.map((ms, i) => ms / handMs[i]!);
  console.error(`  ratio         median of medians ${(median(taskgateMs) / median(handMs)).toFixed(2)}x, of mins ${(Math.min(...taskgateMs) / Math.min(...handMs)).toFixed(2)}x, median per round ${median(paired).toFixed(2)}x  (goal <= 1.2x)`);
  return [ratioRow(`synth ${GATES} gates + ${SCHEDULES} schedules vs hand-written stack`, median(taskgateMs), median(handMs), 'ms', atMost(1.2))];
}

runIfMain(module, measure);
