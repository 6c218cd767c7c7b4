import { describe, expect, it } from 'vitest';
import { errorSignature, failureKey, fromDeadLetter, fromRun, groupFailures } from '../src/ui/failures';
import type { RunRecord } from '../src/worker/ledger/record';

describe('failures grouped by cause', () => {
  it('strips numbers, ids and times from an error, so two occurrences of one failure share a signature', () => {
    expect(errorSignature('order 4711 refused at 2026-11-22T12:00:05.120Z (request 6f0c2a1e-9b1d-4c3e-8f00-1234567890ab)')).toBe('order <n> refused at <time> (request <id>)');
    expect(errorSignature('key service answered 503')).toBe(errorSignature('key service answered 502'));
    expect(errorSignature('trace 5f2b9c0d1e3a4f56 failed')).toBe('trace <id> failed');
    // Words and names stay: they tell causes apart.
    expect(errorSignature('tenant acme does not exist')).not.toBe(errorSignature('tenant acme is suspended'));
  });

  it('groups dead letters and failed runs by reason and signature, counting a dead run and its dead letter once', () => {
    const run = (id: string, error: string, reason: string, status: RunRecord['status'] = 'dead'): RunRecord =>
      ({ pk: `t#${id}`, task: 't', id, status, gate: 'g', source: 'manual', attempts: 1, scheduledAt: '', startedAt: `2026-11-22T12:00:0${id}Z`, day: '', error, reason, expiresAt: 0 }) as RunRecord;
    const letter = (id: string, error: string) =>
      fromDeadLetter({ messageId: `m${id}`, task: 't', reason: 'task-permanent', error, failedAt: `2026-11-22T12:00:0${id}Z`, body: JSON.stringify({ task: 't', id }) }, 'g');
    const groups = groupFailures([
      letter('1', 'order 1 refused'),
      letter('2', 'order 2 refused'),
      fromRun(run('1', 'order 1 refused', 'task-permanent')),
      fromRun(run('3', 'timed out after 5s', 'retries-exhausted', 'failed')),
    ]);
    expect(groups).toEqual([
      expect.objectContaining({ key: failureKey('task-permanent', 'order 9 refused'), count: 2, deadLetters: 2, runs: 0, first: '2026-11-22T12:00:01Z', last: '2026-11-22T12:00:02Z', tasks: ['t'], gates: ['g'] }),
      expect.objectContaining({ reason: 'retries-exhausted', signature: 'timed out after <n>s', count: 1, deadLetters: 0, runs: 1 }),
    ]);
  });
});
