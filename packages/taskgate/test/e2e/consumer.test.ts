import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/taskgate-dev';
import { TEAM_APP } from './team-app';

const exec = promisify(execFile);
const PACKAGE = path.resolve(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-consumer-'));
const project = path.join(work, 'team-app');
// The fresh app's node_modules (aws-cdk-lib, the SDK) takes a while to delete on a busy machine.
afterAll(() => fs.promises.rm(work, { recursive: true, force: true }), 300_000);

/** A command in the team's project, as its developer types it (no AWS settings of this machine). */
function sh(command: string, args: string[], timeout = 300_000) {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', NO_COLOR: '1', AWS_EC2_METADATA_DISABLED: 'true' };
  for (const key of Object.keys(env)) if (key.startsWith('TASKGATE_') || key === 'AWS_PROFILE' || key.startsWith('npm_')) delete env[key];
  return exec(command, args, { cwd: project, env, timeout, maxBuffer: 64 * 1024 * 1024 });
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

/**
 * A team's own CDK app (its package.json, cdk.json, a task module on full zod, one stack with a gate
 * and a schedule) installs the packed tarball, as it would install taskgate from the registry.
 */
describe('taskgate in a fresh CDK app, installed from its tarball', { timeout: 600_000 }, () => {
  let pack: PackResult;

  beforeAll(async () => {
    // dist/ as `npm test` built it (pretest): prepack would delete and rebuild dist/ while other test
    // files of the run load the package from it ("Cannot find module './gate'").
    const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: PACKAGE, maxBuffer: 16 * 1024 * 1024 });
    pack = (JSON.parse(stdout) as PackResult[])[0]!;
    console.log(`tarball ${pack.filename}: ${(pack.size / 1024).toFixed(1)} KB packed, ${(pack.unpackedSize / 1024).toFixed(1)} KB unpacked, ${pack.entryCount} files`);
    for (const [file, text] of Object.entries(TEAM_APP(path.join(work, pack.filename)))) {
      fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
      fs.writeFileSync(path.join(project, file), text);
    }
    const started = Date.now();
    // The other dependencies come from the npm cache, as on a machine that installed them before.
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
    console.log(`npm install into the fresh app: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);

  it('ships the built package only: no sources, tests, benchmarks, cdk.out or runtime state', () => {
    const files = pack.files.map((file) => file.path);
    expect(files).toContain('dist/cli/bin.js');
    expect(files).toContain('dist/cdk/index.d.ts');
    expect(files).toContain('dist/local/lambda-thread.cjs');
    // The operator page's files, served as they are.
    expect(files).toEqual(expect.arrayContaining(['dist/ui/assets/index.html', 'dist/ui/assets/app.js', 'dist/ui/assets/app.css']));
    expect(files.filter((file) => !/^(dist\/.*\.(js|cjs|d\.ts)|dist\/ui\/assets\/[\w-]+\.(html|css)|README\.md|package\.json)$/.test(file))).toEqual([]);
    expect(files.filter((file) => /(^|\/)(test|bench|src|cdk\.out|\.taskgate|node_modules)\//.test(file))).toEqual([]);
  });

  it('type-checks against the published types', async () => {
    await sh('npx', ['tsc', '-p', '.']);
  });

  it("cdk synth bundles the team's task into the worker, and none of taskgate's examples", async () => {
    await sh('npx', ['cdk', 'synth', '--quiet']);
    const outdir = path.join(project, 'cdk.out');
    const assets = fs.readdirSync(outdir).filter((name) => name.startsWith('asset.') && fs.existsSync(path.join(outdir, name, 'index.mjs')));
    expect(assets.length).toBeGreaterThanOrEqual(1);
    for (const asset of assets) {
      const code = fs.readFileSync(path.join(outdir, asset, 'index.mjs'), 'utf8');
      expect(code).toContain('send-invoices');
      for (const example of ['cleanup-stray-instances', 'refresh-exchange-rates', 'fixture-fast']) expect(code).not.toContain(example);
    }
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Billing.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> };
    const worker = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['taskgate:tasks']);
    expect(worker!.Metadata!['taskgate:tasks']).toEqual([expect.objectContaining({ name: 'send-invoices', gate: 'billing-api', timeoutSeconds: 45 })]);
  });

  it('npx taskgate tasks and explain work in the app folder', async () => {
    const tasks = JSON.parse((await sh('npx', ['taskgate', 'tasks', '--json'])).stdout) as Array<{ name: string; payload: { properties: Record<string, unknown> } }>;
    expect(tasks.map((task) => task.name)).toEqual(['send-invoices']);
    expect(tasks[0]!.payload.properties.customer).toEqual({ type: 'string', minLength: 1 });
    const explained = await sh('npx', ['taskgate', 'explain', 'rate(5 minutes)']);
    expect(explained.stdout).toContain('every 5 minutes');
  });

  it("npx taskgate dev runs the team's schedule into its worker, and the run is in the ledger", async () => {
    const dev = spawn('npx', ['taskgate', 'dev', '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', '--speed', '60', '--fire-now', 'send-invoices'], {
      cwd: project,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', NO_COLOR: '1' },
    });
    let output = '';
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const closed = new Promise<void>((resolve) => dev.on('close', () => resolve()));
    try {
      await waitFor('a run of send-invoices', () => (/run {2}billing-api +send-invoices +succeeded/.test(output) ? true : undefined), 180_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      });
      const runs = JSON.parse((await sh('npx', ['taskgate', 'history', '--task', 'send-invoices', '--json'])).stdout) as Array<{ status: string; source: string }>;
      expect(runs.filter((run) => run.status === 'succeeded').length).toBeGreaterThanOrEqual(1);
      expect(runs[0]).toMatchObject({ status: 'succeeded', source: 'schedule' });
    } finally {
      process.kill(-dev.pid!, 'SIGINT');
      await closed;
    }
    expect(output).toContain('taskgate: stopped');
    expect(fs.existsSync(path.join(project, '.taskgate', 'local.json'))).toBe(false);
  });
});
