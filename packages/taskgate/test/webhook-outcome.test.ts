import { describe, expect, it } from 'vitest';
import { classifyStatus, retryAfterSeconds, type ResponseOutcome } from '../src/worker/webhook/outcome';

/** The README's table, written out again code by code: the test fails if either drifts. */
function expected(status: number): ResponseOutcome {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'transient';
  if (status === 410) return 'gone';
  return 'permanent'; // 1xx, 3xx (no redirect is followed), every other 4xx
}

describe('outcome by response status', () => {
  it('classifies every code from 100 to 599', () => {
    const counts: Record<string, number> = {};
    for (let status = 100; status <= 599; status++) {
      expect(classifyStatus(status), `status ${status}`).toBe(expected(status));
      counts[classifyStatus(status)] = (counts[classifyStatus(status)] ?? 0) + 1;
    }
    // 100 success codes, 100 server errors + 3 client ones, one gone, the other 296 permanent.
    expect(counts).toEqual({ success: 100, transient: 103, gone: 1, permanent: 296 });
  });

  it('lets a task override single codes and leaves the others alone', () => {
    const overrides = { 409: 'success', 503: 'permanent', 404: 'transient' } as const;
    expect(classifyStatus(409, overrides)).toBe('success');
    expect(classifyStatus(503, overrides)).toBe('permanent');
    expect(classifyStatus(404, overrides)).toBe('transient');
    expect(classifyStatus(500, overrides)).toBe('transient');
    expect(classifyStatus(410, overrides)).toBe('gone');
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  it('reads delay-seconds and HTTP-dates, never negative', () => {
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 0 ', now)).toBe(0);
    expect(retryAfterSeconds('Wed, 02 Dec 2026 10:00:07 GMT', now)).toBe(7);
    expect(retryAfterSeconds('Wed, 02 Dec 2026 09:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    for (const value of [undefined, null, '', 'soon', '-5', '1.5']) expect(retryAfterSeconds(value, now), String(value)).toBeUndefined();
  });
});
