import { randomUUID } from 'node:crypto';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { sendTaskMessage } from '../cli/commands/trigger';
import { type DeadLetter, queueCounts, redriveMatching } from '../cli/dead-letters';
import { CliError } from '../cli/errors';
import { GatePacer } from '../cli/gate-pacer';
import type { GateEndpoints } from '../cli/target';
import type { PayloadIssue } from '../core/registry';
import type { SendRequest } from '../core/send-path';
import type { UiData } from './data';
import { failureKey } from './failures';

/** An action's answer: the HTTP status and its JSON. */
export interface ActionAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Which dead letters a redrive moves: any of a gate's, a task's, one failure group's, failed within a window. */
export interface RedriveFilter {
  readonly gate?: string;
  readonly task?: string;
  /** A failure group's key (`reason|signature`). */
  readonly group?: string;
  /** ISO times: the letter failed at or after `from`, at or before `to`. */
  readonly from?: string;
  readonly to?: string;
}

/** A redrive started from the page, as the page shows its progress. */
export interface RedriveJob {
  readonly id: string;
  readonly filter: RedriveFilter;
  readonly startedAt: string;
  state: 'running' | 'done' | 'failed';
  moved: number;
  matched: number;
  error?: string;
}

const bad = (error: string, extra: Record<string, unknown> = {}): ActionAnswer => ({ status: 400, body: { error, ...extra } });

/**
 * The page's actions, each through the CLI's own code: trigger (payload checked against the task's
 * schema, every bad field named), redrive by filter (a dry run counts, then a paced job moves),
 * pause/resume, purge a DLQ (the gate's name typed as confirmation).
 */
export class UiActions {
  private readonly jobs: RedriveJob[] = [];

  constructor(private readonly data: UiData) {}

  private get target() {
    return this.data.target;
  }

  async trigger(input: { task?: unknown; payload?: unknown }): Promise<ActionAnswer> {
    const task = typeof input.task === 'string' ? this.target.registry.find(input.task) : undefined;
    if (!task) return bad(this.target.registry.unknownTaskMessage(String(input.task ?? '')));
    let payload = input.payload ?? {};
    if (typeof payload === 'string') {
      try {
        payload = JSON.parse(payload.trim() || '{}');
      } catch (error) {
        return bad('the payload is not JSON', { fields: [{ field: '(payload)', message: `not JSON: ${(error as Error).message}` }] });
      }
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return bad('the payload must be a JSON object', { fields: [{ field: '(payload)', message: 'must be a JSON object such as {"market":"de"}' }] });
    }
    const fields: PayloadIssue[] = this.target.registry.checkPayload(task, payload);
    if (fields.length > 0) return bad(`payload for task ${task.name} fails its schema`, { fields });
    const request: SendRequest = { task: task.name, payload: payload as Record<string, unknown>, id: randomUUID(), source: 'manual' };
    const sent = await sendTaskMessage(this.target, request);
    return { status: 200, body: { task: task.name, gate: sent.gate.name, runId: request.id, messageId: sent.messageId } };
  }

  async setEnabled(name: string, enabled: boolean): Promise<ActionAnswer> {
    const result = await this.target.schedules.setEnabled(name, enabled);
    this.data.invalidate();
    return { status: 200, body: { ...result } };
  }

  async purge(input: { gate?: unknown; confirm?: unknown }): Promise<ActionAnswer> {
    const gate = this.target.gate(String(input.gate ?? ''));
    if (input.confirm !== gate.name) return bad(`type the gate's name (${gate.name}) to confirm; nothing was purged`);
    const counts = await queueCounts(this.target.sqs, gate.dlqUrl);
    await this.target.sqs.send(new PurgeQueueCommand({ QueueUrl: gate.dlqUrl }));
    this.data.invalidate();
    return { status: 200, body: { gate: gate.name, purged: counts.visible + counts.inFlight + counts.delayed } };
  }

  /** With `dryRun`, how many dead letters the filter picks, per gate; else starts the paced redrive job. */
  async redrive(input: { filter?: RedriveFilter; dryRun?: unknown; confirm?: unknown }): Promise<ActionAnswer> {
    const filter = input.filter ?? {};
    const gates = filter.gate ? [this.target.gate(filter.gate)] : [...this.target.gates.values()];
    const matches = matcher(filter);
    if (input.dryRun !== false) {
      const counts = await Promise.all(gates.map(async (gate) => ({ gate: gate.name, matched: (await this.lettersOf(gate)).filter(matches).length })));
      const picked = counts.filter((count) => count.matched > 0);
      return { status: 200, body: { dryRun: true, matched: picked.reduce((sum, count) => sum + count.matched, 0), gates: picked } };
    }
    if (input.confirm !== true) return bad('a redrive needs confirm: true after its dry run; nothing was moved');
    const job: RedriveJob = { id: randomUUID(), filter, startedAt: new Date().toISOString(), state: 'running', moved: 0, matched: 0 };
    this.jobs.unshift(job);
    this.jobs.splice(10);
    void this.runJob(job, gates, matches);
    return { status: 202, body: { job: job.id } };
  }

  /** The latest redrive jobs, newest first. */
  recentJobs(): readonly RedriveJob[] {
    return this.jobs;
  }

  private async lettersOf(gate: GateEndpoints): Promise<DeadLetter[]> {
    const depth = await queueCounts(this.target.sqs, gate.dlqUrl);
    return this.data.deadLetters(gate, depth.visible + depth.inFlight, true);
  }

  private async runJob(job: RedriveJob, gates: readonly GateEndpoints[], matches: (letter: DeadLetter) => boolean): Promise<void> {
    try {
      for (const gate of gates) {
        const pacer = new GatePacer(this.target.sqs, gate);
        const before = job.moved;
        const result = await redriveMatching(this.target.sqs, gate.dlqUrl, gate.queueUrl, matches, {
          pace: (count) => pacer.take(count),
          longPoll: this.target.kind === 'aws',
          onProgress: (moved) => (job.moved = before + moved),
        });
        job.moved = before + result.moved;
        job.matched += result.total;
        if (result.refused.length > 0) throw new CliError(`${result.refused.length} message(s) were refused by gate ${gate.name}'s queue and stay in its DLQ: ${result.refused[0]}`);
      }
      job.state = 'done';
    } catch (error) {
      job.state = 'failed';
      job.error = (error as Error).message;
    } finally {
      this.data.invalidate();
    }
  }
}

/** The filter as a test on one dead letter. */
function matcher(filter: RedriveFilter): (letter: DeadLetter) => boolean {
  const from = filter.from ? Date.parse(filter.from) : -Infinity;
  const to = filter.to ? Date.parse(filter.to) : Infinity;
  return (letter) => {
    if (filter.task && letter.task !== filter.task) return false;
    if (filter.group && failureKey(letter.reason ?? 'retries-exhausted', letter.error) !== filter.group) return false;
    const at = Date.parse(letter.failedAt ?? letter.sentAt ?? '');
    return Number.isNaN(at) ? from === -Infinity && to === Infinity : at >= from && at <= to;
  };
}
