import * as path from 'node:path';
import { localConfigPath, type LocalConfig } from './local-config';
import type { RuntimeOptions } from './options';
import type { StateDirLock } from './state-lock';

/** Writes local.json where the CLI looks for it, through the state dir's lock. */
export function writeConfig(projectRoot: string, stateDir: string, lock: StateDirLock, options: RuntimeOptions, config: LocalConfig): string {
  // The default state dir is where the CLI looks (README, Run it locally); another --state-dir keeps its own.
  const file = options.stateDir === '.taskgate' ? localConfigPath(projectRoot) : path.join(stateDir, 'local.json');
  lock.write(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
