import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { trace, traceFile } from './trace';

/** How one invocation ended, as Lambda reports it to the event source mapping. */
export type InvokeResult =
  | { readonly ok: true; readonly result: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string }; readonly timedOut: boolean; readonly durationMs: number };

export interface FunctionHostOptions {
  /** The function's local name, for its context and log prefix. */
  readonly functionName: string;
  /** The bundle's folder and `file.export` inside it. */
  readonly assetPath: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The function's environment, resolved to local values. */
  readonly environment: Readonly<Record<string, string>>;
  readonly region: string;
  readonly accountId: string;
  /**
   * Execution environments (threads), at most. Lambda gives each concurrent invocation its own; past
   * this many, invocations share environments.
   * @default 16
   */
  readonly maxEnvironments?: number;
  /** Each line the function writes to stdout or stderr. */
  readonly onLog: (line: string, stream: 'stdout' | 'stderr') => void;
}

interface Pending {
  readonly resolve: (result: InvokeResult) => void;
  /** When the environment began the invocation (after its init); until then, when it was asked. */
  started: number;
  timer?: NodeJS.Timeout;
}

/** Lambda's limit on an execution environment's init phase, which the function timeout does not include. */
const INIT_LIMIT_MS = 10_000;

/** One execution environment: a worker thread that loaded the bundle. */
class Environment {
  readonly pending = new Map<string, Pending>();
  readonly ready: Promise<void>;
  private readonly thread: Worker;
  private dead = false;

  constructor(
    private readonly options: FunctionHostOptions,
    private readonly onExit: (environment: Environment) => void,
  ) {
    this.thread = new Worker(path.join(__dirname, 'lambda-thread.cjs'), {
      env: { ...options.environment },
      workerData: {
        assetPath: options.assetPath,
        handler: options.handler,
        functionName: options.functionName,
        memoryMb: options.memoryMb,
        region: options.region,
        accountId: options.accountId,
        traceFile: traceFile(),
      },
      stdout: true,
      stderr: true,
      // Lambda's memory size as the heap limit, so a leak fails here as it would there.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, options.memoryMb) },
    });
    pipeLines(this.thread.stdout, (line) => options.onLog(line, 'stdout'));
    pipeLines(this.thread.stderr, (line) => options.onLog(line, 'stderr'));
    this.ready = new Promise((resolve, reject) => {
      this.thread.on('message', (message: { type: string; requestId?: string; result?: unknown; error?: { name: string; message: string } }) => {
        if (message.type === 'ready') {
          trace('host.ready', { fn: options.functionName, env: this.thread.threadId });
          return resolve();
        }
        if (message.type === 'load-error') {
          reject(new Error(`${options.functionName}: loading ${options.handler} from ${options.assetPath} failed: ${message.error!.message}`));
          void this.terminate();
          return;
        }
        const pending = this.pending.get(message.requestId!);
        trace('host.answer', { fn: options.functionName, env: this.thread.threadId, requestId: message.requestId, type: message.type, pending: Boolean(pending) });
        if (!pending) return;
        this.settle(message.requestId!, message.type === 'result'
          ? { ok: true, result: message.result, durationMs: Date.now() - pending.started }
          : { ok: false, error: message.error!, timedOut: false, durationMs: Date.now() - pending.started });
      });
      this.thread.on('error', (error) => {
        reject(error);
        this.failAll(`the execution environment crashed: ${error.message}`);
      });
      this.thread.on('exit', (code) => {
        this.dead = true;
        reject(new Error(`${options.functionName}: the execution environment exited with code ${code} before it was ready`));
        this.failAll(`the execution environment exited with code ${code}`);
        this.onExit(this);
      });
    });
    // A load failure is reported to whoever awaits `ready`; keep it from being an unhandled rejection meanwhile.
    this.ready.catch(() => undefined);
  }

  get threadId(): number {
    return this.thread.threadId;
  }

  get alive(): boolean {
    return !this.dead;
  }

  invoke(event: unknown): Promise<InvokeResult> {
    const requestId = randomUUID();
    const timeoutMs = this.options.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const pending: Pending = { resolve, started: Date.now() };
      this.pending.set(requestId, pending);
      trace('host.invoke', { fn: this.options.functionName, env: this.thread.threadId, requestId, messages: messageIds(event) });
      // As in Lambda, the function timeout counts from the end of the environment's init (a cold
      // start's bundle load), which has a limit of its own: a cold start under load must not eat the run's time.
      const initTimer = setTimeout(() => void this.terminate(), INIT_LIMIT_MS);
      this.ready.finally(() => clearTimeout(initTimer)).catch(() => undefined);
      this.ready.then(
        () => {
          if (!this.pending.has(requestId)) return;
          pending.started = Date.now();
          pending.timer = setTimeout(() => this.timedOut(requestId), timeoutMs);
          trace('host.post', { fn: this.options.functionName, env: this.thread.threadId, requestId, dead: this.dead });
          this.thread.postMessage({ type: 'invoke', requestId, event, deadline: pending.started + timeoutMs });
        },
        (error: Error) => this.settle(requestId, { ok: false, error: { name: 'Runtime.ImportModuleError', message: error.message }, timedOut: false, durationMs: 0 }),
      );
    });
  }

  /** As Lambda does at the function timeout: the invocation fails and its environment is thrown away. */
  private timedOut(requestId: string): void {
    const pending = this.pending.get(requestId);
    trace('host.timeout', { fn: this.options.functionName, env: this.thread.threadId, requestId });
    this.settle(requestId, {
      ok: false,
      error: { name: 'Sandbox.Timedout', message: `Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds` },
      timedOut: true,
      durationMs: Date.now() - (pending?.started ?? Date.now()),
    });
    void this.terminate();
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.thread.terminate();
  }

  private settle(requestId: string, result: InvokeResult): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.resolve(result);
  }

  private failAll(message: string): void {
    for (const requestId of [...this.pending.keys()]) {
      this.settle(requestId, { ok: false, error: { name: 'Runtime.ExitError', message }, timedOut: false, durationMs: 0 });
    }
  }
}

/**
 * Runs one function of the template the way Lambda does, in worker threads of this process: each
 * execution environment has the function's own environment variables and loads the same bundle
 * that `cdk deploy` uploads.
 */
export class FunctionHost {
  private readonly environments: Environment[] = [];
  private readonly maxEnvironments: number;

  constructor(private readonly options: FunctionHostOptions) {
    this.maxEnvironments = options.maxEnvironments ?? 16;
  }

  /** Starts one environment and waits until the bundle has loaded, so a broken bundle fails at start. */
  async warm(): Promise<void> {
    await this.spawn().ready;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const alive = this.environments.filter((environment) => environment.alive);
    const idle = alive.find((environment) => environment.pending.size === 0);
    const environment =
      idle ??
      (alive.length < this.maxEnvironments
        ? this.spawn()
        : alive.reduce((least, candidate) => (candidate.pending.size < least.pending.size ? candidate : least)));
    return environment.invoke(event);
  }

  async close(): Promise<void> {
    await Promise.all(this.environments.splice(0).map((environment) => environment.terminate()));
  }

  private spawn(): Environment {
    const environment = new Environment(this.options, (gone) => {
      const index = this.environments.indexOf(gone);
      if (index >= 0) this.environments.splice(index, 1);
    });
    this.environments.push(environment);
    trace('host.spawn', { fn: this.options.functionName, env: environment.threadId, environments: this.environments.length });
    return environment;
  }
}

/** The SQS message ids of an invocation's event, for the trace. */
function messageIds(event: unknown): unknown {
  return (event as { Records?: Array<{ messageId?: string }> } | null)?.Records?.map((record) => record.messageId);
}

function pipeLines(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}
