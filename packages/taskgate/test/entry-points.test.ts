import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

/** The packages (by folder in node_modules) that loading `specifier` brings in, as a user's require() does. */
async function loadedPackages(specifier: string): Promise<{ exports: string[]; packages: Set<string> }> {
  const script = `const m = require(${JSON.stringify(specifier)});
const packages = Object.keys(require.cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean);
process.stdout.write(JSON.stringify({ exports: Object.keys(m), packages: [...new Set(packages)] }));`;
  // In the package's folder, `taskgate/...` resolves through its own package.json `exports`, to dist/.
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT });
  const parsed = JSON.parse(stdout) as { exports: string[]; packages: string[] };
  return { exports: parsed.exports, packages: new Set(parsed.packages) };
}

const WORKER_RUNTIME = ['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics', '@aws-sdk/client-sqs', '@aws-sdk/client-dynamodb'];
const LOCAL_SERVERS = ['fauxqs', 'dynalite', 'commander'];

describe('the package entry points (built JavaScript)', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build in packages/taskgate');
  });

  it('taskgate: the task API, without the AWS SDK, CDK or the worker runtime', async () => {
    const { exports, packages } = await loadedPackages('taskgate');
    expect(exports).toEqual(expect.arrayContaining(['defineTask', 'PermanentError', 'RetryLaterError', 'TaskgateError', 'ConfigurationError', 'TaskTimeoutError']));
    for (const name of ['aws-cdk-lib', 'constructs', ...WORKER_RUNTIME, ...LOCAL_SERVERS, 'luxon', 'cronstrue']) expect(packages).not.toContain(name);
  });

  it('taskgate/worker: createHandler, never aws-cdk-lib or the local servers', async () => {
    const { exports, packages } = await loadedPackages('taskgate/worker');
    expect(exports).toEqual(expect.arrayContaining(['createHandler', 'WORKER_ENV', 'DynamoLedger', 'LEDGER_SCHEMA', 'METRICS']));
    expect(packages).toContain('@middy/core');
    for (const name of ['aws-cdk-lib', 'constructs', ...LOCAL_SERVERS]) expect(packages).not.toContain(name);
  });

  it('taskgate/cdk: the constructs, never the worker runtime or the local servers', async () => {
    const { exports, packages } = await loadedPackages('taskgate/cdk');
    expect(exports).toEqual(expect.arrayContaining(['Taskgate', 'Gate', 'TaskSchedule', 'Ledger', 'Monitoring', 'OUTPUT_KEYS', 'gateOutputKey']));
    expect(packages).toContain('aws-cdk-lib');
    for (const name of [...WORKER_RUNTIME, ...LOCAL_SERVERS]) expect(packages).not.toContain(name);
  });

  it('taskgate/client: typed sends over the SQS client, never aws-cdk-lib, the worker runtime or the local servers', async () => {
    const { exports, packages } = await loadedPackages('taskgate/client');
    expect(exports).toEqual(expect.arrayContaining(['createClient', 'clientConfig']));
    expect(packages).toContain('@aws-sdk/client-sqs');
    for (const name of ['aws-cdk-lib', 'constructs', '@middy/core', '@aws-lambda-powertools/metrics', '@aws-sdk/client-dynamodb', ...LOCAL_SERVERS]) expect(packages).not.toContain(name);
  });

  it('the taskgate command is compiled JavaScript with a node shebang', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = path.join(ROOT, manifest.bin.taskgate!);
    expect(bin).toMatch(/\.js$/);
    expect(fs.readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const { stdout } = await run(bin, ['--help'], { cwd: ROOT });
    expect(stdout).toMatch(/^Usage: taskgate \[options\] \[command\]/);
    expect(stdout).toMatch(/\n {2}dev \[options\] +Run the CDK app of this folder locally/);
  });
});
