import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/local/state-lock';
import { newStateDir, taskgateDev, taskgateDevToExit } from '../helpers/taskgate-dev';
import { ROOT } from '../helpers/run-cli';

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('two npm start in one state dir', () => {
  it('takes over a stale lock; a second start refuses, naming the first; Ctrl-C removes only what is its own', async () => {
    const stateDir = newStateDir();
    const lockFile = path.join(stateDir, LOCK_FILE);
    const stale = deadPid();
    // A runtime killed with -9 left its lock and local.json behind.
    fs.writeFileSync(lockFile, JSON.stringify({ pid: stale, startedAt: '2026-11-22T12:00:00.000Z' }));
    fs.writeFileSync(path.join(stateDir, 'local.json'), '{"left":"behind"}');
    const first = await taskgateDev(['--paused'], 90_000, stateDir);
    try {
      const { pid } = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number };
      expect(pid).not.toBe(stale);
      const config = fs.readFileSync(path.join(stateDir, 'local.json'), 'utf8');
      expect(JSON.parse(config)).toMatchObject({ sqsEndpoint: first.config.sqsEndpoint });

      const second = await taskgateDevToExit(stateDir, ['--paused']);
      expect(second.code).not.toBe(0);
      const refusal = second.output.split('\n').filter((line) => line.startsWith('taskgate: another'));
      expect(refusal).toHaveLength(1);
      expect(refusal[0]).toContain(`another taskgate runtime (pid ${pid}) is running with the state dir ${path.relative(ROOT, stateDir)};`);
      expect(refusal[0]).toContain(`kill ${pid}`);
      // Refused before anything: no synth into the first's cdk.out, no servers.
      expect(second.output).not.toContain('synthesizing');
      // It touched nothing of the first's, which still runs.
      expect(fs.readFileSync(path.join(stateDir, 'local.json'), 'utf8')).toBe(config);
      expect(JSON.parse(fs.readFileSync(lockFile, 'utf8'))).toMatchObject({ pid });
      expect((await fetch(`${first.config.ui}/api/schedules`)).ok).toBe(true);

      // Someone else's local.json by the time of Ctrl-C: not the first's to delete.
      fs.writeFileSync(path.join(stateDir, 'local.json'), '{"someone":"else"}');
      const ended = await first.interrupt();
      expect(ended.code === 0 || ended.signal === 'SIGINT').toBe(true);
      expect(first.output()).toContain('taskgate: stopped');
      expect(fs.readFileSync(path.join(stateDir, 'local.json'), 'utf8')).toBe('{"someone":"else"}');
      expect(fs.existsSync(lockFile)).toBe(false);
    } finally {
      await first.dispose();
    }
  }, 180_000);
});
