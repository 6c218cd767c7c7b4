import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';

/** The example app's folder. */
const ROOT = path.resolve(__dirname, '..');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-synth-modules-'));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** The worker's runtime: what a Lambda needs and a synth must not load. */
const WORKER_RUNTIME = /^(@middy\/|@aws-lambda-powertools\/|@aws-sdk\/)/;

// A fresh process, so that nothing a test loaded before counts: it synthesizes the example app
// (its constructs and its tasks) and lists the packages in Node's module cache afterwards.
const SCRIPT = `
const { App } = require('aws-cdk-lib');
const { AppStack } = require('./lib/app-stack');
const app = new App({ outdir: process.env.OUTDIR, context: { 'aws:cdk:bundling-stacks': [] } });
new AppStack(app, 'Taskgate');
app.synth();
const packages = new Set();
for (const file of Object.keys(require.cache)) {
  const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file.slice(file.lastIndexOf('node_modules/')));
  if (match) packages.add(match[1]);
}
process.stdout.write(JSON.stringify([...packages].sort()));
`;

it('synthesizes the app without loading the worker runtime (middy, Powertools, the AWS SDK clients)', () => {
  const stdout = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['-e', SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, OUTDIR: outdir },
    encoding: 'utf8',
  });
  const packages = JSON.parse(stdout) as string[];
  expect(packages).toContain('aws-cdk-lib');
  expect(packages.filter((name) => WORKER_RUNTIME.test(name))).toEqual([]);
}, 60_000);
