/**
 * Synth time of a Taskgate app against a hand-written app of the same resources, in the same
 * process, interleaved over several rounds: 20 gates and 200 schedules in one stack
 * (bench/hand-written-stack.ts), and 100 gates and 2,000 schedules in nested stacks
 * (bench/hand-written-nested-stack.ts). Bundling and CloudFormation validation are off for both
 * (each would add the same cost). Goal: taskgate ≤ 1.2× the hand-written app.
 *
 *   npx tsx bench/synth.ts [rounds]
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
import { HandWrittenNestedStack } from './hand-written-nested-stack';
import { HandWrittenStack } from './hand-written-stack';
import { quick, type BenchRow } from './report';

const GOAL = 1.2;

interface Scale {
  readonly gates: number;
  readonly schedules: number;
  readonly nested: boolean;
}

const SCALES: readonly Scale[] = [
  { gates: 20, schedules: 200, nested: false },
  { gates: 100, schedules: 2000, nested: true },
];

// A full collection before each measurement, so one variant does not pay for the other's garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const gateOptions = (i: number) => ({ concurrency: i === 0 ? 1 : 3 });

function newApp(): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-bench-'));
  return { app: new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }), outdir };
}

function taskgateApp(scale: Scale): (app: App) => Stack {
  const tasks = scaleTasks(scale.gates);
  return (app) => {
    const stack = new Stack(app, 'ScaleApp');
    const gates = Object.fromEntries(scaleGateNames(scale.gates).map((g, i) => [g, gateOptions(i)]));
    const taskgate = new Taskgate(stack, 'Taskgate', { tasks, taskModule: FIXTURE_TASK_MODULE, gates, nestedStacks: scale.nested });
    for (let n = 0; n < scale.schedules; n++) {
      const { task, expression, timeZone } = scaleSchedule(n, tasks);
      taskgate.schedule(task, expression, { timeZone });
    }
    return stack;
  };
}

function handWrittenApp(scale: Scale): (app: App) => Stack {
  const tasks = scaleTasks(scale.gates);
  const gates = scaleGateNames(scale.gates).map((name, i) => ({
    name,
    concurrency: gateOptions(i).concurrency,
    timeoutSeconds: Math.max(...tasks.filter((t) => t.gate === name).map((t) => t.timeout)),
    tasks: tasks.filter((t) => t.gate === name).map((t) => t.name),
  }));
  const schedules = Array.from({ length: scale.schedules }, (_, n) => {
    const line = scaleSchedule(n, tasks);
    return { ...line, gate: tasks.find((t) => t.name === line.task)!.gate };
  });
  return (app) => (scale.nested ? new HandWrittenNestedStack(app, 'ScaleApp', gates, schedules) : new HandWrittenStack(app, 'ScaleApp', gates, schedules));
}

/** Builds and synthesizes one app; returns milliseconds and the resource count by type over every template (nested ones too). */
function synthOnce(build: (app: App) => Stack): { ms: number; types: Map<string, number> } {
  collectGarbage();
  const { app, outdir } = newApp();
  const start = performance.now();
  build(app);
  const assembly = app.synth();
  const ms = performance.now() - start;
  const types = new Map<string, number>();
  for (const file of fs.readdirSync(assembly.directory).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8')) as { Resources: Record<string, { Type: string }> };
    for (const resource of Object.values(template.Resources)) types.set(resource.Type, (types.get(resource.Type) ?? 0) + 1);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, types };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** One scale: a warm-up of each, then `rounds` interleaved rounds; the ratio is the median of per-round ratios. */
function measureScale(scale: Scale, rounds: number, log: (line: string) => void): BenchRow {
  const taskgate = taskgateApp(scale);
  const hand = handWrittenApp(scale);
  const warmTaskgate = synthOnce(taskgate);
  const warmHand = synthOnce(hand);
  const differences = [...new Set([...warmTaskgate.types.keys(), ...warmHand.types.keys()])]
    .filter((type) => warmTaskgate.types.get(type) !== warmHand.types.get(type))
    .map((type) => `${type}: taskgate ${warmTaskgate.types.get(type) ?? 0}, hand-written ${warmHand.types.get(type) ?? 0}`);
  if (differences.length > 0) log(`  resource counts differ:\n    ${differences.join('\n    ')}`);
  const taskgateMs: number[] = [];
  const handMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a warmer heap.
    if (round % 2 === 0) {
      taskgateMs.push(synthOnce(taskgate).ms);
      handMs.push(synthOnce(hand).ms);
    } else {
      handMs.push(synthOnce(hand).ms);
      taskgateMs.push(synthOnce(taskgate).ms);
    }
  }
  // Per-round ratios pair each measurement with its neighbour, so a busy moment on a shared machine
  // weighs on both sides of one ratio instead of on one variant's median.
  const ratio = median(taskgateMs.map((ms, i) => ms / handMs[i]!));
  const resources = [...warmTaskgate.types.values()].reduce((a, b) => a + b, 0);
  log(`synth of ${scale.gates} gates + ${scale.schedules} schedules${scale.nested ? ' in nested stacks' : ''} (${resources} resources), ${rounds} interleaved rounds:`);
  log(`  taskgate      median ${median(taskgateMs).toFixed(0)} ms  (${taskgateMs.map((m) => m.toFixed(0)).join(', ')})`);
  log(`  hand-written  median ${median(handMs).toFixed(0)} ms  (${handMs.map((m) => m.toFixed(0)).join(', ')})`);
  log(`  ratio         median per round ${ratio.toFixed(2)}x  (goal <= ${GOAL}x)`);
  return {
    name: `synth ${scale.gates} gates ${scale.schedules} schedules${scale.nested ? ' nested' : ''}`,
    value: Math.round(median(taskgateMs)),
    unit: 'ms',
    baseline: Math.round(median(handMs)),
    ratio: Number(ratio.toFixed(2)),
    goal: `<= ${GOAL}x hand-written`,
    met: ratio <= GOAL,
  };
}

/**
 * Synth time against the hand-written baselines, one row per scale.
 *
 * @param rounds interleaved rounds per scale (the larger scale, about 5 s a synth, runs two fewer, at least 3)
 */
export async function measure(rounds = quick() ? 2 : 7, log: (line: string) => void = () => undefined): Promise<BenchRow[]> {
  // With three nested rounds the median swung with single rounds (0.98x to 1.15x on unchanged code);
  // five narrow that, for about 20 s more.
  return SCALES.map((scale) => measureScale(scale, scale.nested ? Math.max(3, rounds - 2) : rounds, log));
}

if (require.main === module) {
  void measure(Number(process.argv[2] ?? 7), (line) => console.log(line)).then((rows) => console.table(rows));
}
