import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-synth-'));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

it('`npx cdk synth` succeeds offline as a user runs it, bundling every worker with the local esbuild', async () => {
  // No CDK_DISABLE_VERSION_CHECK here: cdk.json alone must keep the CLI off the network.
  const env = { ...process.env };
  delete env.CDK_DISABLE_VERSION_CHECK;
  const { stdout, stderr } = await run('npx', ['cdk', 'synth', '--output', outdir, '--quiet'], { cwd: root, env, timeout: 120_000 });
  expect(stderr + stdout).not.toMatch(/docker/i);
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Taskgate.template.json'), 'utf8'));
  const functions = Object.values(template.Resources as Record<string, { Type: string }>).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions.length).toBeGreaterThanOrEqual(3);
  const bundles = fs.readdirSync(outdir).filter((name) => name.startsWith('asset.'));
  // The workers ship as ES modules (index.mjs) with the SDK clients bundled; the request API's function as index.js.
  const workers = bundles.filter((bundle) => fs.existsSync(path.join(outdir, bundle, 'index.mjs')));
  expect(workers.length).toBeGreaterThanOrEqual(1);
  // The entry Taskgate generated from taskModule: the app's own tasks are in every worker.
  for (const bundle of workers) {
    const code = fs.readFileSync(path.join(outdir, bundle, 'index.mjs'), 'utf8');
    for (const task of ['cleanup-stray-instances', 'send-delivery-reminders', 'refresh-exchange-rates']) expect(code).toContain(task);
  }
  // The bundle is what Lambda loads: it must export the handler, with no module from outside it.
  const entry = path.join(outdir, workers[0]!, 'index.mjs');
  expect(fs.statSync(entry).size).toBeGreaterThan(1000);
  const loaded = await run(process.execPath, ['--input-type=module', '-e', `const m=await import(${JSON.stringify(pathToFileURL(entry).href)});process.stdout.write(typeof m.handler)`], {
    env: { ...process.env, NODE_PATH: '' },
  });
  expect(loaded.stdout).toBe('function');
}, 180_000);
