import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchRow } from '../bench/report';

const root = path.resolve(__dirname, '..');

/** `npm run bench -- <args>` as a user runs it (the package's script is `tsx bench/run.ts`). */
function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'bench/run.ts', ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run bench', () => {
  it('measures each module in a process of its own and prints only the rows on stdout', async () => {
    const { code, stdout, stderr } = await bench(['--only', 'machine', '--json']);
    expect(code, stderr).toBe(0);
    const rows = JSON.parse(stdout) as BenchRow[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: expect.stringMatching(/^machine: a thread's 256 KB of data touched after 5 ms asleep vs back to back$/), unit: 'µs', goal: 'info', met: true });
    expect(rows[0]!.value).toBeGreaterThan(0);
    expect(rows[0]!.ratio).toBeCloseTo(rows[0]!.value / rows[0]!.baseline!);
    expect(stderr).toMatch(/bench: machine\.ts done in \d+ s/);
  });

  it('skips the helpers that are not benchmarks and says so when nothing was measured', async () => {
    const { code, stdout, stderr } = await bench(['--only', 'hand-written-stack']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/no benchmark module under .*bench exports measure\(\) among hand-written-stack/);
  });
});
