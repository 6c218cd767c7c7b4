import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExplainReport } from '../src/cli/commands/explain';

const root = path.resolve(__dirname, '..');

/** Runs `taskgate explain ...` (the package's source through tsx) as a user would, with the machine's zone set by TZ. */
async function taskgate(args: string[], tz = 'UTC'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/cli/bin.ts', 'explain', ...args], { cwd: root, env: { ...process.env, TZ: tz }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('taskgate explain (subprocess)', { timeout: 90_000 }, () => {
  it('--json: a 02:30 Berlin schedule around spring forward, with the DST warnings for the next year', async () => {
    const { code, stdout, stderr } = await taskgate(['cron(30 2 * * ? *)', '--tz', 'Europe/Berlin', '--from', '2026-03-27T12:00:00Z', '--count', '3', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ExplainReport;
    expect(report).toEqual({
      expression: 'cron(30 2 * * ? *)',
      kind: 'cron',
      runsOn: 'scheduler',
      timeZone: 'Europe/Berlin',
      description: 'at 02:30 (Europe/Berlin)',
      from: '2026-03-27T12:00:00.000Z',
      next: [
        { utc: '2026-03-28T01:30:00Z', local: '2026-03-28T02:30:00+01:00' },
        { utc: '2026-03-30T00:30:00Z', local: '2026-03-30T02:30:00+02:00' },
        { utc: '2026-03-31T00:30:00Z', local: '2026-03-31T02:30:00+02:00' },
      ],
      warnings: [
        { code: 'dst-gap', message: '2026-03-29 02:30 does not exist in Europe/Berlin (clocks spring forward): that run is skipped' },
        { code: 'dst-overlap', message: '2026-10-25 02:30 occurs twice in Europe/Berlin (clocks fall back): it runs once, at the first occurrence' },
        { code: 'dst-gap', message: '2027-03-28 02:30 does not exist in Europe/Berlin (clocks spring forward): that run is skipped' },
      ],
    });
  });

  it('--json: a fixed-hour rule without --tz warns that it runs in UTC, showing the machine-zone clock', async () => {
    const { code, stdout } = await taskgate(['cron(0 9 ? * MON-FRI *)', '--from', '2026-01-01T00:00:00Z', '--count', '2', '--json'], 'America/New_York');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ExplainReport;
    expect(report.runsOn).toBe('rule');
    expect(report.next).toEqual([
      { utc: '2026-01-01T09:00:00Z', local: '2026-01-01T09:00:00Z' },
      { utc: '2026-01-02T09:00:00Z', local: '2026-01-02T09:00:00Z' },
    ]);
    expect(report.warnings).toEqual([
      {
        code: 'utc-fixed-hour',
        message:
          "EventBridge rules run in UTC: 09:00 in this expression is 09:00 UTC (04:00 in America/New_York in January, 05:00 in July). If you meant a local time, give the schedule a timeZone (an EventBridge Scheduler schedule), e.g. npx taskgate explain 'cron(0 9 ? * MON-FRI *)' --tz America/New_York",
      },
    ]);
  });

  it('text output lists each time in the zone and in UTC; a rate has no warnings', async () => {
    const zoned = await taskgate(['cron(30 1 * * ? *)', '--tz', 'America/New_York', '--from', '2026-10-31T00:00:00Z', '--count', '3']);
    expect(zoned.code).toBe(0);
    expect(zoned.stdout).toContain('Sat 2026-10-31 01:30 -04:00 America/New_York  =  2026-10-31T05:30:00Z');
    expect(zoned.stdout).toContain('Sun 2026-11-01 01:30 -04:00 America/New_York  =  2026-11-01T05:30:00Z');
    expect(zoned.stdout).toContain('Mon 2026-11-02 01:30 -05:00 America/New_York  =  2026-11-02T06:30:00Z');
    expect(zoned.stdout).toContain('warning: 2026-11-01 01:30 occurs twice in America/New_York');
    const rate = await taskgate(['rate(15 minutes)', '--from', '2026-01-01T00:07:00Z', '--count', '2', '--json']);
    expect(JSON.parse(rate.stdout)).toMatchObject({ kind: 'rate', runsOn: 'rule', next: [{ utc: '2026-01-01T00:15:00Z' }, { utc: '2026-01-01T00:30:00Z' }], warnings: [] });
  });

  it('a bad expression or option is one line `taskgate: ...` and exit code 2', async () => {
    const five = await taskgate(['cron(0 9 * * 1-5)']);
    expect(five.code).toBe(2);
    expect(five.stdout).toBe('');
    expect(five.stderr).toBe(
      'taskgate: cron(0 9 * * 1-5) has five fields, the Unix cron layout; AWS cron has six: minutes hours day-of-month month day-of-week year. Add the year: cron(0 9 ? * MON-FRI *)\n',
    );
    const zone = await taskgate(['cron(0 9 * * ? *)', '--tz', 'Berlin']);
    expect([zone.code, zone.stderr]).toEqual([2, "taskgate: time zone 'Berlin' of cron(0 9 * * ? *) is not an IANA time zone name; did you mean Europe/Berlin?\n"]);
    const missing = await taskgate([]);
    expect([missing.code, missing.stderr]).toEqual([2, "taskgate: missing required argument 'expression' (see npx taskgate explain --help)\n"]);
  });
});
