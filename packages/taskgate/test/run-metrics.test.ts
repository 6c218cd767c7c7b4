import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS, responseClassMetric } from '../src/worker/metric-names';
import { PowertoolsRunMetrics } from '../src/worker/run-metrics';

interface Emf {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
  [key: string]: unknown;
}

function captureEmf(action: () => void): Emf[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    action();
  } finally {
    spy.mockRestore();
  }
  return lines
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

afterEach(() => vi.restoreAllMocks());

describe('worker metrics (EMF)', () => {
  it('emits one document per task with every metric under the task dimension', () => {
    const metrics = new PowertoolsRunMetrics();
    const documents = captureEmf(() => {
      metrics.add({ task: 'sync', outcome: 'succeeded', attempt: 1, durationMs: 12, latenessSeconds: 3 });
      metrics.add({ task: 'sync', outcome: 'failed', attempt: 2, durationMs: 40 });
      metrics.add({ task: 'mail', outcome: 'dead', attempt: 5 });
      metrics.flush();
    });
    expect(documents).toHaveLength(2);
    const [sync, mail] = documents as [Emf, Emf];
    for (const doc of documents) {
      expect(doc._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS.namespace);
      expect(doc._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', METRICS.taskDimension]]);
    }
    expect(sync).toMatchObject({ task: 'sync', RunsSucceeded: 1, RunsFailed: 1, RunAttempts: 2, RunDuration: [12, 40], RunLateness: 3 });
    expect(mail).toMatchObject({ task: 'mail', RunsDead: 1, RunAttempts: 5 });
    expect(mail).not.toHaveProperty('RunDuration');
  });

  it('records attempt numbers of retries only: a batch of first attempts has no RunAttempts', () => {
    const metrics = new PowertoolsRunMetrics();
    const [first] = captureEmf(() => {
      metrics.add({ task: 'sync', outcome: 'succeeded', attempt: 1, durationMs: 5 });
      metrics.add({ task: 'sync', outcome: 'succeeded', attempt: 1, durationMs: 6 });
      metrics.flush();
    }) as [Emf];
    expect(first).toMatchObject({ RunsSucceeded: 2, RunDuration: [5, 6] });
    expect(first).not.toHaveProperty(METRICS.attempts);
    const [retries] = captureEmf(() => {
      metrics.add({ task: 'sync', outcome: 'succeeded', attempt: 1, durationMs: 5 });
      metrics.add({ task: 'sync', outcome: 'failed', attempt: 3, durationMs: 6 });
      metrics.add({ task: 'sync', outcome: 'succeeded', attempt: 2, durationMs: 7 });
      metrics.flush();
    }) as [Emf];
    expect(retries).toMatchObject({ [METRICS.attempts]: [3, 2] });
  });

  it("adds a webhook run's response: a count per status class, its time and size", () => {
    const metrics = new PowertoolsRunMetrics();
    const [doc] = captureEmf(() => {
      metrics.add({ task: 'notify', outcome: 'succeeded', attempt: 1, durationMs: 30, response: { status: 204, durationMs: 25, bytes: 0 } });
      metrics.add({ task: 'notify', outcome: 'failed', attempt: 1, durationMs: 40, response: { status: 503, durationMs: 35, bytes: 11 } });
      metrics.add({ task: 'notify', outcome: 'failed', attempt: 2, durationMs: 5, response: { durationMs: 4, bytes: 0 } });
      metrics.flush();
    }) as [Emf];
    expect(doc).toMatchObject({
      [METRICS.responseTime]: [25, 35, 4],
      [METRICS.responseSize]: [0, 11, 0],
      [responseClassMetric(204)]: 1,
      [responseClassMetric(503)]: 1,
      [responseClassMetric(undefined)]: 1,
    });
    expect([responseClassMetric(204), responseClassMetric(503), responseClassMetric(undefined)]).toEqual(['WebhookResponses2xx', 'WebhookResponses5xx', 'WebhookResponsesNone']);
  });

  it('emits nothing for a batch with no runs', () => {
    const metrics = new PowertoolsRunMetrics();
    expect(captureEmf(() => metrics.flush())).toEqual([]);
  });
});
