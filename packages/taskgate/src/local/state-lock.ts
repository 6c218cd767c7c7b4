import * as fs from 'node:fs';
import * as path from 'node:path';

/** The lock in a state dir: JSON `{ pid, startedAt }` of the runtime that owns the dir. */
export const LOCK_FILE = 'runtime.lock';

/**
 * One running runtime per state dir. Two would both fire every schedule and overwrite each other's
 * local.json, and the first to stop would delete the other's. The lock is a file created only if
 * absent (a hard link of a complete temp file: atomic, never read half-written) holding the owner's
 * pid; a lock whose pid is gone (a crash, a `kill -9`) is taken over. The owner removes only the
 * files it wrote and that still hold what it wrote.
 */
export class StateDirLock {
  /** file → the text this runtime wrote there, besides the lock. */
  private readonly written = new Map<string, string>();
  private held = true;

  private constructor(
    private readonly lockFile: string,
    private readonly lockText: string,
  ) {}

  /**
   * Takes the state dir, or throws a sentence naming the running runtime's pid and how to stop it.
   * `shownDir` is the state dir as the user gave it, for that sentence.
   */
  static acquire(stateDir: string, shownDir: string): StateDirLock {
    fs.mkdirSync(stateDir, { recursive: true });
    const lockFile = path.join(stateDir, LOCK_FILE);
    const text = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
    // Two tries: the second after taking over a stale lock; a third runtime racing for it then wins.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (createExclusive(lockFile, text)) return new StateDirLock(lockFile, text);
      const held = readFileOrUndefined(lockFile);
      if (held === undefined) continue;
      const pid = holderPid(held);
      if (pid !== undefined && alive(pid)) {
        throw new Error(
          `another taskgate runtime (pid ${pid}) is running with the state dir ${shownDir}; stop it first ` +
            `(Ctrl-C in its terminal, or kill ${pid}), or give this one its own --state-dir and ports. ` +
            `If pid ${pid} is not a taskgate runtime, delete ${path.join(shownDir, LOCK_FILE)}`,
        );
      }
      // Its runtime is gone without cleaning up: take the lock over, unless someone just did.
      removeIfUnchanged(lockFile, held);
    }
    throw new Error(`could not take the lock ${path.join(shownDir, LOCK_FILE)}: another runtime is starting with the same state dir`);
  }

  /** Writes a file of the state dir (local.json) that {@link release} removes again. */
  write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Owner only: local.json holds the control server's token.
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    this.written.set(file, text);
  }

  /** Removes what this runtime wrote and still owns, the lock last. Synchronous, for an `exit` handler; idempotent. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    for (const [file, text] of this.written) removeIfUnchanged(file, text);
    removeIfUnchanged(this.lockFile, this.lockText);
  }
}

function createExclusive(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function holderPid(text: string): number | undefined {
  try {
    const pid = (JSON.parse(text) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Deletes `file` if it still holds `text`: another process's file is left alone. */
function removeIfUnchanged(file: string, text: string): void {
  if (readFileOrUndefined(file) === text) fs.rmSync(file, { force: true });
}
