import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HttpExchange } from '../core/http-exchange';
import { METRICS, responseClassMetric } from './metric-names';

export type RunOutcomeName = keyof typeof METRICS.runs;

/** One finished record, as metrics see it. */
export interface RunSample {
  readonly task: string;
  readonly outcome: RunOutcomeName;
  readonly attempt: number;
  readonly durationMs?: number;
  readonly latenessSeconds?: number;
  /** A webhook run's response. */
  readonly response?: HttpExchange;
}

/** Where the worker reports runs; a no-op in unit tests and benchmarks. */
export interface RunMetrics {
  add(sample: RunSample): void;
  /** Emits what was added, once per batch. */
  flush(): void;
}

/**
 * Powertools Metrics (EMF) with the task as a dimension. Samples are grouped per task and emitted
 * once per batch, each task's values as one EMF document (values of one metric as an array),
 * instead of one log line per metric.
 */
export class PowertoolsRunMetrics implements RunMetrics {
  private readonly samples: RunSample[] = [];

  constructor(private readonly metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service })) {}

  add(sample: RunSample): void {
    this.samples.push(sample);
  }

  flush(): void {
    // Map.groupBy needs Node 21; this also runs on the Node 20 of local machines.
    const byTask = new Map<string, RunSample[]>();
    for (const sample of this.samples.splice(0)) {
      const group = byTask.get(sample.task);
      if (group) group.push(sample);
      else byTask.set(sample.task, [sample]);
    }
    for (const [task, samples] of byTask) {
      // One EMF document per task: the dimension holds until publishStoredMetrics clears it.
      // (singleMetric() would publish each metric on its own and drop the dimension after the first.)
      this.metrics.addDimension(METRICS.taskDimension, task);
      // One value per outcome, the batch's count of it: the dashboard graphs the Sum, which is the
      // same, and each addMetric costs about a microsecond of the worker's per-record time.
      const runs = new Map<RunOutcomeName, number>();
      for (const sample of samples) runs.set(sample.outcome, (runs.get(sample.outcome) ?? 0) + 1);
      for (const [outcome, count] of runs) this.metrics.addMetric(METRICS.runs[outcome], MetricUnit.Count, count);
      for (const sample of samples) {
        // Retries only: a first attempt's 1 says nothing that the run counts do not, and a value a
        // run was a tenth of the worker's per-record cost (bench/worker.ts).
        if (sample.attempt > 1) this.metrics.addMetric(METRICS.attempts, MetricUnit.Count, sample.attempt);
        if (sample.durationMs !== undefined) this.metrics.addMetric(METRICS.duration, MetricUnit.Milliseconds, sample.durationMs);
        if (sample.latenessSeconds !== undefined) this.metrics.addMetric(METRICS.lateness, MetricUnit.Seconds, sample.latenessSeconds);
        if (sample.response) addResponse(this.metrics, sample.response);
      }
      this.metrics.publishStoredMetrics();
    }
  }
}

function addResponse(metrics: Metrics, response: HttpExchange): void {
  metrics.addMetric(responseClassMetric(response.status), MetricUnit.Count, 1);
  metrics.addMetric(METRICS.responseTime, MetricUnit.Milliseconds, response.durationMs);
  metrics.addMetric(METRICS.responseSize, MetricUnit.Bytes, response.bytes);
}

export const noMetrics: RunMetrics = { add: () => undefined, flush: () => undefined };
