import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError } from '../core/errors';

/** The lockfiles NodejsFunction knows, in its own order of preference. */
const LOCKFILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'];

export interface BundlingRoot {
  /** The folder that holds the lockfile (and node_modules): what the worker bundles resolve against. */
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
}

/**
 * The app's project root, found as `cdk synth` finds it: the nearest folder with a lockfile from the
 * working directory up (the CDK CLI runs the app in the folder of cdk.json). Never a folder of the
 * taskgate package itself, which npm installs without a lockfile.
 */
export function bundlingRoot(from: string = process.cwd()): BundlingRoot {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const found = LOCKFILES.filter((name) => fs.existsSync(path.join(dir, name)));
    if (found.length > 1) {
      throw new ConfigurationError(`${dir} has several lockfiles (${found.join(', ')}); keep the one of your package manager so the workers bundle against it`);
    }
    if (found.length === 1) return { projectRoot: dir, depsLockFilePath: path.join(dir, found[0]!) };
    if (path.dirname(dir) === dir) {
      throw new ConfigurationError(`no lockfile (${LOCKFILES.join(', ')}) in ${path.resolve(from)} or above; install your app's dependencies (npm install) and synthesize from its folder`);
    }
  }
}
