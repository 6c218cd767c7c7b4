import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalConfig } from '../../src/local/local-config';
import { parseRuntimeOptions } from '../../src/local/options';
import { startRuntime } from '../../src/local/runtime';
import { synthesize } from '../../src/local/synth';
import { TRACE_ENV } from '../../src/local/trace';
import { sqsClient } from './local-servers';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Issue 19's scenario: a fresh start of the embedded runtime on the example app, and, as soon as
 * local.json appears, four plain SQS messages to the default gate: one task message twice, a
 * malformed body and an unknown task. Each message's way through the runtime is read back from the
 * trace (TASKGATE_TRACE): received, handed to the function, posted to and answered by a worker
 * thread, answered to the poller, deleted. A message the worker has not answered within
 * `settleMs` is stuck: a user would see nothing of it until its visibility timeout.
 */
export function burstBodies(run: number): string[] {
  const id = `burst-${run}-${Date.now()}`;
  return [`{"task":"cleanup-stray-instances","id":"${id}"}`, `{"task":"cleanup-stray-instances","id":"${id}"}`, '{"task": "x", "payload": {oops', `{"task":"no-such-task-${run}"}`];
}

/** One message of a run: its body and, for each trace point, when it got there (epoch ms). */
export interface MessageTrail {
  readonly messageId: string;
  readonly body: string;
  readonly points: Readonly<Record<string, number>>;
}

export interface BurstRun {
  readonly run: number;
  readonly messages: readonly MessageTrail[];
  /** Messages the worker had not answered `settleMs` after they were sent. */
  readonly stuck: readonly MessageTrail[];
}

export interface BurstLoopOptions {
  readonly runs: number;
  /** `in-process`: startRuntime in this process; `npm-start`: `npm start` as a user runs it. */
  readonly via: 'in-process' | 'npm-start';
  /** How long each message may take to be answered. */
  readonly settleMs: number;
  /** Called after each run, for progress. */
  readonly onRun?: (run: BurstRun) => void;
}

/** Synthesizes the fixture app once; each start copies it instead of synthesizing it again (~15 s). */
export async function synthesizeOnce(): Promise<{ app: string; dispose(): void }> {
  fs.mkdirSync(path.join(ROOT, '.taskgate'), { recursive: true });
  const cache = fs.mkdtempSync(path.join(ROOT, '.taskgate', 'burst-synth-'));
  await synthesize(ROOT, cache, 'npx tsx test/fixtures/app/app.ts');
  return { app: `cp -R '${cache}/.' "$CDK_OUTDIR"`, dispose: () => fs.rmSync(cache, { recursive: true, force: true }) };
}

export async function startupBurstLoop(app: string, options: BurstLoopOptions): Promise<BurstRun[]> {
  const results: BurstRun[] = [];
  for (let run = 0; run < options.runs; run++) {
    const result = await oneRun(app, run, options);
    results.push(result);
    options.onRun?.(result);
  }
  return results;
}

async function oneRun(app: string, run: number, options: BurstLoopOptions): Promise<BurstRun> {
  const stateDir = fs.mkdtempSync(path.join(ROOT, '.taskgate', 'burst-'));
  const traceFile = path.join(stateDir, 'trace.jsonl');
  fs.writeFileSync(traceFile, '');
  const args = ['--app', app, '--state-dir', path.relative(ROOT, stateDir), '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', '--drain-seconds', '1'];
  const started = options.via === 'npm-start' ? startNpm(args, traceFile) : startInProcess(args, traceFile);
  try {
    const config = await waitForConfig(path.join(stateDir, 'local.json'), started.failed);
    const sqs = sqsClient(config.sqsEndpoint);
    const bodies = burstBodies(run);
    const sent = await Promise.all(bodies.map(async (body) => ({ body, messageId: (await sqs.send(new SendMessageCommand({ QueueUrl: config.gates.default!.queueUrl, MessageBody: body }))).MessageId! })));
    sqs.destroy();
    const deadline = Date.now() + options.settleMs;
    let messages = trails(traceFile, sent);
    while (messages.some((m) => m.points['poller.answered'] === undefined) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      messages = trails(traceFile, sent);
    }
    const stuck = messages.filter((m) => m.points['poller.answered'] === undefined);
    if (stuck.length > 0) {
      // Kept for the post-mortem: .taskgate is git-ignored.
      fs.copyFileSync(traceFile, path.join(ROOT, '.taskgate', `burst-stuck-run-${run}.jsonl`));
      fs.writeFileSync(path.join(ROOT, '.taskgate', `burst-stuck-run-${run}.log`), started.output());
    }
    return { run, messages, stuck };
  } finally {
    await started.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

interface Started {
  /** Rejects when the runtime fails to start. */
  readonly failed: Promise<never>;
  /** What it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

function startInProcess(args: string[], traceFile: string): Started {
  const previous = process.env[TRACE_ENV];
  process.env[TRACE_ENV] = traceFile;
  const lines: string[] = [];
  const runtime = startRuntime(ROOT, parseRuntimeOptions(args), { line: (text) => lines.push(text) });
  return {
    failed: runtime.then(() => new Promise<never>(() => undefined)),
    output: () => lines.join('\n'),
    stop: async () => {
      await (await runtime.catch(() => undefined))?.stop();
      if (previous === undefined) delete process.env[TRACE_ENV];
      else process.env[TRACE_ENV] = previous;
    },
  };
}

function startNpm(args: string[], traceFile: string): Started {
  const child = spawn('npm', ['start', '--', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [TRACE_ENV]: traceFile } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  return {
    failed: closed.then(() => Promise.reject(new Error(`npm start ended before it wrote local.json:\n${output}`))),
    output: () => output,
    stop: async () => {
      signal('SIGINT');
      const killer = setTimeout(() => signal('SIGKILL'), 15_000);
      await closed;
      clearTimeout(killer);
    },
  };
}

/** Reads local.json the moment it is complete, as a script polling for it would. */
async function waitForConfig(file: string, failed: Promise<never>): Promise<LocalConfig> {
  let failure: unknown;
  failed.catch((error: unknown) => (failure = error));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (failure) throw failure;
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalConfig;
    } catch {
      // Not there yet, or being written.
    }
    if (Date.now() > deadline) throw new Error(`no ${file} within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Each sent message's trace points, joined through the invocation's request id for the host and thread points. */
export function trails(traceFile: string, sent: ReadonlyArray<{ messageId: string; body: string }>): MessageTrail[] {
  const lines = fs
    .readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { t: number; at: string; messages?: string[]; requestId?: string });
  const requestOf = new Map<string, string>();
  for (const line of lines) if (line.at === 'host.invoke' && line.requestId) for (const id of line.messages ?? []) requestOf.set(id, line.requestId);
  return sent.map(({ messageId, body }) => {
    const points: Record<string, number> = {};
    for (const line of lines) {
      const mine = line.messages?.includes(messageId) || (line.requestId !== undefined && line.requestId === requestOf.get(messageId));
      if (mine && points[line.at] === undefined) points[line.at] = line.t;
    }
    return { messageId, body, points };
  });
}
