import { afterEach, describe, expect, it, vi } from 'vitest';
import { RuntimeClock } from '../src/local/clock';
import { OnceSchedules } from '../src/local/once-schedules';
import { Scheduler } from '../src/local/scheduler';
import type { TriggerModel } from '../src/local/template';

const START = Date.parse('2030-01-01T00:00:00Z');
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:q';

afterEach(() => vi.useRealTimers());

describe('RuntimeClock (the one clock of both schedulers)', () => {
  it('runs simulated time at its speed from its start, and turns instants into real waits', () => {
    let real = START;
    const clock = new RuntimeClock(60, () => real);
    real += 1000;
    expect(clock.now().toISOString()).toBe('2030-01-01T00:01:00.000Z');
    // A simulated instant one hour after start: 60 real seconds after start, 59 from now.
    expect(clock.delayUntil(new Date(START + 3_600_000))).toBe(59_000);
    // A real instant (what tasks and the CLI compute) one hour from now: a minute at speed 60.
    expect(clock.scaledWaitUntil(new Date(real + 3_600_000))).toBe(60_000);
    expect(clock.delayUntil(new Date(START))).toBe(0);
    expect(clock.scaledWaitUntil(new Date(START))).toBe(0);
  });

  it('rejects a speed that is not a number above 0', () => {
    for (const speed of [0, -1, Number.NaN, Infinity]) expect(() => new RuntimeClock(speed)).toThrow(/--speed must be a number above 0/);
  });

  it('waits longer than setTimeout can (about 24.8 days) by re-arming, and cancels', () => {
    vi.useFakeTimers({ now: START });
    const clock = new RuntimeClock(1);
    const fired: string[] = [];
    const long = 2 ** 31 + 5000;
    clock.after(long, () => fired.push('long'));
    clock.after(10, () => fired.push('cancelled')).cancel();
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(long - (2 ** 31 - 1));
    expect(fired).toEqual(['long']);
  });

  it('gives the template schedules and the one-time schedules the same speed', async () => {
    vi.useFakeTimers({ now: START });
    const clock = new RuntimeClock(3600);
    const sent: string[] = [];
    const trigger = {
      kind: 'schedule',
      logicalId: 'Hourly',
      name: 'hourly',
      cdkPath: 'App/Hourly',
      expression: 'rate(1 hour)',
      timeZone: 'UTC',
      enabled: true,
      queue: 'Q',
      render: (tick: Date) => `tick ${tick.toISOString()}`,
    } satisfies TriggerModel;
    const scheduler = new Scheduler({
      triggers: [trigger],
      clock,
      send: async (_trigger, entry) => (sent.push(entry.MessageBody), 'm'),
      needsDeduplicationId: () => false,
      onFire: () => undefined,
      onError: (message) => sent.push(`error ${message}`),
    });
    const once = new OnceSchedules({
      region: 'us-east-1',
      accountId: '000000000000',
      clock,
      groups: () => [],
      queue: () => ({ name: 'q', url: 'http://q/q', fifo: false }),
      queueArns: () => [QUEUE_ARN],
      send: async (_url, entry) => (sent.push(entry.MessageBody), 'm'),
      onFire: () => undefined,
      onError: (message) => sent.push(`error ${message}`),
    });
    scheduler.start();
    const inAnHour = new Date(START + 3_600_000).toISOString().slice(0, 19);
    once.create('later', { ScheduleExpression: `at(${inAnHour})`, FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: QUEUE_ARN, RoleArn: 'r', Input: 'once' } });
    // An hour at speed 3600 is one real second, for both.
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.sort()).toEqual(['once', `tick ${new Date(START + 3_600_000).toISOString()}`]);
    scheduler.stop();
    once.stop();
  });
});
