import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalConfig } from '../../src/local/local-config';
import { ROOT, TSX } from './run-cli';

/** `taskgate dev` running as a user runs it, in its own process group (so Ctrl-C reaches all of it). */
export interface TaskgateDev {
  readonly config: LocalConfig;
  readonly stateDir: string;
  readonly traceFile: string;
  /** Everything printed so far. */
  output(): string;
  /**
   * Sends SIGINT to the process group, as a terminal's Ctrl-C does; resolves when every process of
   * it has closed its output, to how the CLI ended.
   */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops it if it still runs and removes its state dir. */
  dispose(): Promise<void>;
}

/** A fresh state dir inside the project, where the bundles find node_modules. */
export function newStateDir(): string {
  // .taskgate is git-ignored: a fresh checkout has none yet.
  fs.mkdirSync(path.join(ROOT, '.taskgate'), { recursive: true });
  return fs.mkdtempSync(path.join(ROOT, '.taskgate', 'test-'));
}

/** `taskgate dev` on the fixture app with free ports, in its own process group; everything it prints is collected. */
function spawnTaskgateDev(stateDir: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    [TSX, 'src/cli/bin.ts', 'dev', '--app', 'npx tsx test/fixtures/app/app.ts', '--state-dir', path.relative(ROOT, stateDir), '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', ...args],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const collected = { output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (collected.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (collected.output += chunk.toString()));
  // 'close', not 'exit': a wrapper may end before the runtime it started has printed its last lines.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, collected, exited };
}

/** Runs `taskgate dev` in `stateDir` to its end (one that refuses to start), with what it printed. */
export async function taskgateDevToExit(stateDir: string, args: readonly string[] = []): Promise<{ code: number | null; output: string }> {
  const { collected, exited } = spawnTaskgateDev(stateDir, args, process.env);
  const { code } = await exited;
  return { code, output: collected.output };
}

/**
 * Starts the embedded runtime on the fixture app with free ports and its own state dir (or the one
 * given), the fixture app's switches in `env`, and waits for its local.json.
 */
export async function taskgateDev(args: readonly string[] = [], timeoutMs = 90_000, stateDir = newStateDir(), env: Record<string, string> = {}): Promise<TaskgateDev> {
  const traceFile = path.join(stateDir, 'trace.txt');
  fs.writeFileSync(traceFile, '');
  const { child, collected, exited } = spawnTaskgateDev(stateDir, args, { ...process.env, ...env, FIXTURE_TRACE_FILE: traceFile });
  const configFile = path.join(stateDir, 'local.json');
  const started = Date.now();
  let exitCode: number | null | undefined;
  void exited.then(({ code }) => (exitCode = code));
  // local.json is written before the banner is printed; a user reads both, so wait for both.
  while (!fs.existsSync(configFile) || !collected.output.includes('runs (')) {
    if (exitCode !== undefined) {
      fs.rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`taskgate dev exited with ${exitCode}:\n${collected.output}`);
    }
    if (Date.now() - started > timeoutMs) {
      kill(child, 'SIGKILL');
      fs.rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`taskgate dev did not write local.json and print its banner within ${timeoutMs} ms:\n${collected.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as LocalConfig;
  return {
    config,
    stateDir,
    traceFile,
    output: () => collected.output,
    interrupt: async () => {
      kill(child, 'SIGINT');
      return exited;
    },
    dispose: async () => {
      if (exitCode === undefined) {
        kill(child, 'SIGKILL');
        await exited;
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** A fixture task's start/end trace lines (`start <task> <runId> <epoch ms>`), from byte `from` of the file on. */
export function traceEvents(traceFile: string, task: string, from = 0): Array<{ readonly delta: 1 | -1; readonly time: number }> {
  return fs
    .readFileSync(traceFile)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .filter(([, name]) => name === task)
    .map(([event, , , time]) => ({ delta: event === 'start' ? 1 : -1, time: Number(time) }) as const);
}

/** The most runs in flight at once, from the fixture tasks' start/end trace lines (those from byte `from` of the file on). */
export function peakInFlight(traceFile: string, task: string, from = 0): { peak: number; starts: number; ends: number } {
  // On a tie, count the start first: a tie never hides an overlap.
  const events = traceEvents(traceFile, task, from).sort((a, b) => a.time - b.time || b.delta - a.delta);
  let current = 0;
  let peak = 0;
  for (const event of events) {
    current += event.delta;
    peak = Math.max(peak, current);
  }
  return { peak, starts: events.filter((e) => e.delta > 0).length, ends: events.filter((e) => e.delta < 0).length };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
