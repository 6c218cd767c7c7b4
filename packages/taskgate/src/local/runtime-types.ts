import type { LocalConfig } from './local-config';
import type { MappingPoller } from './poller';
import type { RequestCounts } from './servers';
import type { LocalQueue } from './provision';
import type { Scheduler } from './scheduler';
import type { AppModel } from './template';
import type { RateLimit } from '../worker/rate/rate-limit';
import type { RateUsage } from '../cli/rate-usage';

/** Batches at once for a mapping with neither maximum concurrency nor reserved concurrency. */
export const UNCAPPED_CONCURRENCY = 10;

export interface GateRuntime {
  /** The gate's name, `<taskgate>/<gate>` in another Taskgate than the app's first (see `qualifiedName` in taskgates.ts). */
  readonly name: string;
  /** The gate's name in its Taskgate. */
  readonly gate: string;
  /** Its Taskgate's key (`--taskgate`), when it belongs to one. */
  readonly taskgate?: string;
  readonly queue: LocalQueue;
  readonly deadLetterQueue?: LocalQueue;
  readonly concurrency: number;
  /** The gate's rate, when it has one (its worker's `taskgate:rate` metadata). */
  readonly rate?: RateLimit;
  /** Its bucket now (tokens taken in the last minute, tokens left), for a gate with a rate and a ledger. */
  rateUsage?(): Promise<RateUsage>;
  readonly poller?: MappingPoller;
}

/** A started runtime: where everything is, and how to stop it. */
export interface LocalRuntime {
  readonly config: LocalConfig;
  readonly configFile: string;
  readonly models: readonly AppModel[];
  readonly gates: readonly GateRuntime[];
  readonly scheduler: Scheduler;
  readonly warnings: readonly string[];
  /**
   * Requests the embedded SQS and DynamoDB servers have served, by operation: what the benchmark's
   * cost model counts. Undefined on the LocalStack target, whose servers are not this process's.
   */
  readonly requestCounts?: () => Promise<{ readonly sqs: RequestCounts; readonly dynamodb: RequestCounts }>;
  /** Stops cleanly: schedules, then pollers (batches in flight finish or return), then servers; then {@link release}. */
  stop(): Promise<StopSummary>;
  /**
   * Removes the files this runtime wrote (local.json, the state dir's lock) if they are still its
   * own. Synchronous, for a quit without {@link stop}; idempotent.
   */
  release(): void;
}

export interface StopSummary {
  /** Messages of batches still running at the drain deadline, made visible again. */
  readonly returned: number;
  /** Each queue's messages when the runtime stopped (embedded target only). */
  readonly queues: ReadonlyArray<{ readonly name: string; readonly visible: number; readonly inFlight: number; readonly delayed: number }>;
}

export interface RuntimeOutput {
  line(text: string): void;
}
