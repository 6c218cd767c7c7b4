/**
 * Worker benchmark: per-record overhead and cold start, each a ratio against baselines measured in
 * the same run (part of `npm run bench`; alone: npx tsx bench/worker.ts [--quick]).
 *
 * 1. Per record (bench/support/per-record.ts, bundled and run in child processes, three forks, the
 *    median fork's ratio: tsx compiles with keepNames, which wraps every function the worker
 *    creates per record; the deployed bundle has no such wrapper). taskgate's worker with its
 *    RunLog (Powertools Logger, one write per batch) + Metrics and its ledger stand-in against the
 *    fair baseline (bench/support/fair-baseline.ts: Powertools BatchProcessor + parser with zod +
 *    makeIdempotent on a Map + Logger + Metrics, in middy): goal <= 0.5x. taskgate's worker core
 *    (no logging, no metrics) against Powertools batch + zod alone: goal <= 1.5x.
 * 2. Cold start (bench/support/cold-start.ts): load + first batch of one record in a fresh process,
 *    with the SDK clients each bundle needs, taskgate as the Gate construct bundles it against the
 *    fair baseline as NodejsFunction bundles it by default (minified, the runtime's SDK): goal <= 0.5x.
 *    The other bundling levers (src/cdk/worker-bundling.ts) are measured beside it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { WORKER_BUNDLE, WORKER_NODE_FLAGS, workerEsbuildOptions, type WorkerBundleChoice } from '../src/cdk/worker-bundling';
import { atMost, info, median, quick, ratioRow, runIfMain, valueRow, type BenchRow, type Goal } from './report';
import { coldStartMs, startColdStartTables } from './support/cold-start';
import type { PerRecordResult } from './support/per-record';

const root = path.resolve(__dirname, '..');

/**
 * Each child process's JIT settles its own way: in one full run the fair baseline ran a fifth faster
 * than in the runs beside it. So the per-record child runs as several forks (as JMH runs forks), and
 * each row reports the fork whose ratio is the median.
 */
const FORKS = quick() ? 1 : 3;

async function perRecordForks(): Promise<PerRecordResult[]> {
  // Inside the project, so that its node_modules resolve.
  const outfile = path.join(root, 'bench', `.tmp-per-record-${process.pid}.js`);
  const resultFile = path.join(os.tmpdir(), `taskgate-per-record-${process.pid}.json`);
  await esbuild.build({ entryPoints: [path.join(__dirname, 'support', 'per-record.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'silent' });
  try {
    const forks: PerRecordResult[] = [];
    for (let fork = 0; fork < FORKS; fork++) {
      const child = spawnSync(process.execPath, [outfile, resultFile, String(quick() ? 5 : 15)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      if (child.status !== 0) throw new Error(`the per-record benchmark failed (exit ${child.status})`);
      forks.push(JSON.parse(fs.readFileSync(resultFile, 'utf8')) as PerRecordResult);
    }
    return forks;
  } finally {
    fs.rmSync(outfile, { force: true });
    fs.rmSync(resultFile, { force: true });
  }
}

/** The row of the fork whose ratio `value / baseline` is the median of the forks'. */
function medianForkRow(name: string, forks: readonly PerRecordResult[], value: keyof PerRecordResult, baseline: keyof PerRecordResult, goal: Goal): BenchRow {
  const sorted = [...forks].sort((a, b) => a[value] / a[baseline] - b[value] / b[baseline]);
  const fork = sorted[Math.floor(sorted.length / 2)]!;
  return ratioRow(name, fork[value], fork[baseline], 'µs', goal);
}

interface Bundle {
  readonly label: string;
  readonly file: string;
  readonly bytes: number;
  /** Bytes of the output that come from Powertools Logger and Metrics (and their commons). */
  readonly powertoolsBytes: number;
}

async function build(label: string, entry: string, dir: string, options: ReturnType<typeof workerEsbuildOptions>): Promise<Bundle> {
  const file = path.join(dir, `${label}.${options.format === 'esm' ? 'mjs' : 'js'}`);
  const { metafile } = await esbuild.build({ ...options, entryPoints: [entry], outfile: file, metafile: true, logLevel: 'silent' });
  // The bundle's own entry, not its source map's (which lists no inputs).
  const inputs = Object.entries(metafile.outputs).find(([output]) => !output.endsWith('.map'))![1].inputs;
  const powertoolsBytes = Object.entries(inputs)
    .filter(([input]) => /@aws-lambda-powertools\/(logger|metrics|commons)\//.test(input))
    .reduce((sum, [, value]) => sum + value.bytesInOutput, 0);
  return { label, file, bytes: fs.statSync(file).size, powertoolsBytes };
}

const LEVERS: Record<string, WorkerBundleChoice> = {
  'cjs, runtime SDK': { format: 'cjs', bundleSdk: false },
  'cjs, SDK bundled': { format: 'cjs', bundleSdk: true },
  'esm, SDK bundled': { format: 'esm', bundleSdk: true },
};

async function coldStarts(): Promise<BenchRow[]> {
  // Outside the project: a bundle inside it would find the project's SDK before NODE_PATH's.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-bench-'));
  const entry = path.join(root, 'bench', `.tmp-worker-entry-${process.pid}.ts`);
  // The entry the Taskgate construct generates for a task module (src/cdk/worker-entry.ts).
  fs.writeFileSync(entry, "import { createHandler } from '../src/worker/create-handler';\nimport { tasks } from './support/cold-tasks';\nexport const handler = createHandler(tasks);\n");
  const dynamodb = await startColdStartTables();
  try {
    // NodejsFunction's defaults: minified, the runtime's SDK, no source map.
    const baseline = await build('fair-baseline', path.join(__dirname, 'support', 'fair-baseline-lambda.ts'), dir, { ...workerEsbuildOptions({ format: 'cjs', bundleSdk: false }), sourcemap: false });
    const levers = await Promise.all(Object.entries(LEVERS).map(([label, choice]) => build(label.replace(/\W+/g, '-'), entry, dir, workerEsbuildOptions(choice))));
    const shipped = levers[Object.values(LEVERS).findIndex((choice) => choice.format === WORKER_BUNDLE.format && choice.bundleSdk === WORKER_BUNDLE.bundleSdk)]!;
    // The node_modules folder that holds the SDK (the workspace's, where npm hoists it): the runtime's copy.
    const sdk = path.resolve(require.resolve('@aws-sdk/client-sqs/package.json'), '..', '..', '..');
    const times = new Map<Bundle, number[]>([baseline, ...levers].map((bundle) => [bundle, []]));
    // Interleaved, so that a busy moment on a shared machine weighs on every bundle alike.
    for (let i = 0; i < (quick() ? 4 : 12); i++) for (const [bundle, values] of times) values.push(coldStartMs(bundle.file, sdk, dynamodb, bundle === baseline ? [] : WORKER_NODE_FLAGS));
    const ms = (bundle: Bundle) => median(times.get(bundle)!);
    const names = Object.keys(LEVERS);
    return [
      ratioRow(`worker cold start (load + first batch), as shipped (${names[levers.indexOf(shipped)]}) vs fair baseline`, ms(shipped), ms(baseline), 'ms', atMost(0.5)),
      ...levers.map((bundle, i) => ratioRow(`worker cold start lever: ${names[i]} vs fair baseline`, ms(bundle), ms(baseline), 'ms', info)),
      ...levers.map((bundle, i) => ratioRow(`worker bundle size: ${names[i]} vs fair baseline (runtime SDK)`, bundle.bytes / 1024, baseline.bytes / 1024, 'KB', info)),
      valueRow('worker bundle share of Powertools Logger + Metrics (as shipped)', shipped.powertoolsBytes / 1024, 'KB'),
    ];
  } finally {
    await dynamodb.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(entry, { force: true });
  }
}

export async function measure(): Promise<BenchRow[]> {
  const forks = await perRecordForks();
  return [
    medianForkRow('worker overhead per record vs fair Powertools baseline', forks, 'taskgate', 'fairBaseline', atMost(0.5)),
    medianForkRow('worker core overhead per record vs Powertools batch + zod alone', forks, 'taskgateCore', 'batchZod', atMost(1.5)),
    ...(await coldStarts()),
  ];
}

runIfMain(module, measure);
