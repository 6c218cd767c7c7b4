import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, StateDirLock } from '../src/local/state-lock';

const dirs: string[] = [];
function stateDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('StateDirLock', () => {
  it('refuses a second owner while the first lives, naming its pid, and is free again after release', () => {
    const dir = stateDir();
    const first = StateDirLock.acquire(dir, '.taskgate');
    expect(() => StateDirLock.acquire(dir, '.taskgate')).toThrow(
      new RegExp(`another taskgate runtime \\(pid ${process.pid}\\) is running with the state dir \\.taskgate; .*kill ${process.pid}.*delete \\.taskgate/${LOCK_FILE}`),
    );
    first.release();
    expect(fs.readdirSync(dir)).toEqual([]);
    StateDirLock.acquire(dir, '.taskgate').release();
  });

  it('takes over a lock whose process is gone, or that holds no pid', () => {
    const dir = stateDir();
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    for (const stale of [JSON.stringify({ pid: gone }), '', 'garbage']) {
      fs.writeFileSync(path.join(dir, LOCK_FILE), stale);
      const lock = StateDirLock.acquire(dir, dir);
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
      lock.release();
    }
  });

  it('removes on release only the files that still hold what it wrote', () => {
    const dir = stateDir();
    const lock = StateDirLock.acquire(dir, dir);
    lock.write(path.join(dir, 'local.json'), '{"mine":true}');
    lock.write(path.join(dir, 'other.json'), '{"mine":true}');
    fs.writeFileSync(path.join(dir, 'other.json'), '{"mine":false}');
    lock.release();
    lock.release();
    expect(fs.readdirSync(dir)).toEqual(['other.json']);
  });
});
