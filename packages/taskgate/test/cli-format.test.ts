import { describe, expect, it } from 'vitest';
import { clip, formatDuration, table } from '../src/cli/format';
import { Pacer, parseDuration, parseRate, parseTime } from '../src/cli/time';

const now = new Date('2026-11-22T12:00:00Z');

describe('cli time parsing', () => {
  it('reads durations, relative and absolute times', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2 hours')).toBeUndefined();
    expect(parseTime('2h', '--since', now, -1).toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(parseTime('10m', '--at', now, 1).toISOString()).toBe('2026-11-22T12:10:00.000Z');
    expect(parseTime('2026-11-20T08:00:00', '--from', now, -1).toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(parseTime('2026-11-20T08:00:00+02:00', '--from', now, -1).toISOString()).toBe('2026-11-20T06:00:00.000Z');
    expect(parseTime('2026-11-20', '--from', now, -1).toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(() => parseTime('last week', '--since', now, -1)).toThrow('--since "last week" is not a time; give an ISO-8601 time');
  });

  it('reads rates per second or per minute', () => {
    expect(parseRate('5')).toBe(5);
    expect(parseRate('10/s')).toBe(10);
    expect(parseRate('600/m')).toBe(10);
    expect(() => parseRate('0/s')).toThrow('--rate "0/s" is not a rate');
    expect(() => parseRate('fast')).toThrow('--rate "fast" is not a rate');
  });

  it('paces batches to the rate', async () => {
    const pacer = new Pacer(100);
    const start = Date.now();
    for (let i = 0; i < 3; i++) await pacer.take(10);
    // Three batches of 10 at 100/s: the third may start after 200 ms.
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
  });
});

describe('cli formatting', () => {
  it('aligns table columns, ignoring color codes', () => {
    const out = table(['A', 'LONGER'], [['\u001b[31mred\u001b[39m', 'x'], ['yy', 'z']]).split('\n');
    expect(out[0]!.replace(/\u001b\[\d+m/g, '')).toBe('A    LONGER');
    expect(out[1]!.replace(/\u001b\[\d+m/g, '')).toBe('red  x');
    expect(out[2]).toBe('yy   z');
  });

  it('shortens durations and cells', () => {
    expect([850, 12_340, 245_000, 7_800_000, 3 * 86_400_000 + 4 * 3_600_000].map(formatDuration)).toEqual(['850ms', '12.3s', '4m 05s', '2h 10m', '3d 4h']);
    expect(clip('a\nb  c', 10)).toBe('a b c');
    expect(clip('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(clip(undefined)).toBe('-');
  });
});
