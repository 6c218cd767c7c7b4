import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the chaos suite means one run to go. */
export interface RunPlan {
  readonly id: string;
  readonly kind: 'ok' | 'transient' | 'permanent';
  /** A transient run's failing executions before it succeeds (>= maxAttempts: it never does). */
  readonly failures: number;
  /** The first execution kills its execution environment, by exiting or by an uncaught throw. */
  readonly crash?: 'exit' | 'throw-uncaught';
  /** The first execution outlasts the message's visibility (the proxy shortens it at the receive). */
  readonly slow: boolean;
  /** The same message sent this many times. */
  readonly copies: number;
}

export type Action = 'succeed' | 'fail' | 'fail-permanently' | 'exit' | 'throw-uncaught';

export interface Execution {
  readonly attempt: number;
  readonly action: Action;
  /** The task got to its last step after being told to succeed. */
  succeeded: boolean;
}

/** How long a slow run's first execution sleeps: past the 1 s visibility the proxy gives its message. */
export const SLOW_RUN_MS = 2_000;

/**
 * A local HTTP server that the chaos task calls at the start of each execution: it records the
 * execution (run id, attempt) and answers what the run's plan says this execution does. An
 * execution to success is one told to succeed that reported reaching its last step (it returns then).
 */
export class RunRecorder {
  private readonly executions = new Map<string, Execution[]>();
  /** Run ids the task reported that the plan does not know: each one is a failure of the suite. */
  readonly unplanned: string[] = [];
  private readonly server: http.Server;

  private constructor(private readonly plans: ReadonlyMap<string, RunPlan>) {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const { runId, attempt } = JSON.parse(body) as { runId: string; attempt: number };
        const orders = request.url === '/succeeded' ? this.succeeded(runId) : this.execute(runId, attempt);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(orders));
      });
    });
  }

  static async start(plans: ReadonlyMap<string, RunPlan>): Promise<RunRecorder> {
    const recorder = new RunRecorder(plans);
    await new Promise<void>((resolve) => recorder.server.listen(0, '127.0.0.1', resolve));
    return recorder;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Runs executed at least once so far. */
  get runsExecuted(): number {
    return this.executions.size;
  }

  executionsOf(runId: string): readonly Execution[] {
    return this.executions.get(runId) ?? [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private execute(runId: string, attempt: number): { action: Action; sleepMs: number } {
    const plan = this.plans.get(runId);
    if (!plan) this.unplanned.push(runId);
    const done = this.executions.get(runId) ?? [];
    this.executions.set(runId, done);
    const action = plan ? nextAction(plan, done) : 'succeed';
    done.push({ attempt, action, succeeded: false });
    return { action, sleepMs: plan?.slow && done.length === 1 ? SLOW_RUN_MS : 0 };
  }

  /** The last execution of the run told to succeed reached its end. */
  private succeeded(runId: string): { action: Action; sleepMs: number } {
    const execution = this.executions.get(runId)?.findLast((candidate) => candidate.action === 'succeed' && !candidate.succeeded);
    if (execution) execution.succeeded = true;
    else this.unplanned.push(`${runId} reported a success it was not told to have`);
    return { action: 'succeed', sleepMs: 0 };
  }
}

function nextAction(plan: RunPlan, done: readonly Execution[]): Action {
  if (plan.crash && done.length === 0) return plan.crash;
  if (plan.kind === 'permanent') return 'fail-permanently';
  if (plan.kind === 'transient' && done.filter((execution) => execution.action === 'fail').length < plan.failures) return 'fail';
  return 'succeed';
}
