import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workerEsbuildOptions } from '../src/cdk/worker-bundling';

// The worker bundle as the Gate ships it, for the generated entry of a task module; the modules a
// cold start evaluates are those its entry reaches by static imports (a dynamic import is a lazy
// init in the bundle, evaluated on its first use).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-load-path-'));
const entry = path.join(__dirname, '..', 'bench', `.tmp-load-path-entry-${process.pid}.ts`);
let loaded: Set<string>;
let bundled: Set<string>;

beforeAll(async () => {
  fs.writeFileSync(entry, "import { createHandler } from '../src/worker/create-handler';\nimport { tasks } from './support/cold-tasks';\nexport const handler = createHandler(tasks);\n");
  const { metafile } = await build({ ...workerEsbuildOptions(), entryPoints: [entry], outfile: path.join(dir, 'index.mjs'), metafile: true, logLevel: 'silent' });
  bundled = new Set(Object.keys(metafile.inputs));
  loaded = staticallyReached(metafile, Object.keys(metafile.inputs).find((input) => input.includes('.tmp-load-path-entry'))!);
}, 60_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(entry, { force: true });
});

function staticallyReached(metafile: Metafile, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  for (let input = queue.pop(); input !== undefined; input = queue.pop()) {
    for (const imported of metafile.inputs[input]?.imports ?? []) {
      if (imported.kind === 'dynamic-import' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return seen;
}

const matching = (inputs: Set<string>, pattern: RegExp) => [...inputs].filter((input) => pattern.test(input));

it("keeps the schedule evaluator (luxon, cronstrue) in the worker bundle but off its cold start's load path", () => {
  expect(matching(bundled, /schedule-expression\.ts$|node_modules\/luxon\/|node_modules\/cronstrue\//).length).toBeGreaterThan(0);
  expect(matching(loaded, /schedule-expression\.ts$|cron-fields\.ts$|zoned-time\.ts$|node_modules\/luxon\/|node_modules\/cronstrue\//)).toEqual([]);
});

it('loads the SQS and Scheduler clients only on their first use', () => {
  expect(matching(loaded, /node_modules\/@aws-sdk\/client-(sqs|scheduler)\//)).toEqual([]);
});
