import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskMetadata } from '../core/task-metadata';
import { WORKER_ENV, webhookSecretVariable } from '../worker/worker-env';

/** Bytes of a secret made on first start: the middle of the 24 to 64 the specification allows. */
const LOCAL_SECRET_BYTES = 32;

/**
 * The embedded runtime's stand-in for a gate's Secrets Manager signing secret, as environment for
 * its worker: `TASKGATE_WEBHOOK_SECRET_<GATE>` passed through when the developer set it, else the
 * file `<state dir>/secrets/<gate>`, made on first start with a random secret, readable by its
 * owner only (0600), and kept across restarts so a local receiver keeps verifying. Empty for a gate
 * whose template names no signing secret (no webhook tasks).
 *
 * @param gate the gate as the runtime names it (`<taskgate>/<gate>` beside the first Taskgate): the shell variable and the file
 * @param workerGate the gate as its worker names it, whose variable the worker reads
 * @param created called with the file's path when it was made now (never with the secret)
 */
export function localSigningSecret(
  stateDir: string,
  gate: string,
  workerGate: string,
  templateEnvironment: Readonly<Record<string, unknown>>,
  processEnv: NodeJS.ProcessEnv,
  created: (file: string) => void,
): Record<string, string> {
  if (!(WORKER_ENV.signingSecretArn in templateEnvironment)) return {};
  const given = processEnv[webhookSecretVariable(gate)];
  if (given) return { [webhookSecretVariable(workerGate)]: given };
  const dir = path.join(stateDir, 'secrets');
  const file = path.join(dir, gate.replace(/[^A-Za-z0-9._-]/g, '_'));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a secret a receiver already holds, even if two starts race.
    fs.writeFileSync(file, `whsec_${randomBytes(LOCAL_SECRET_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    created(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { [WORKER_ENV.signingSecretFile]: file };
}

/**
 * The `fromEnv` URL variables of a worker's webhook tasks that the developer's shell sets: they win
 * over the template's value locally, so `PARTNER_URL=http://127.0.0.1:4010/x npm start` points the
 * app at a local receiver without editing the stack.
 */
export function webhookUrlOverrides(tasks: readonly TaskMetadata[], processEnv: NodeJS.ProcessEnv): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const task of tasks) {
    const url = task.webhook?.url;
    if (typeof url === 'object' && url.from === 'env' && processEnv[url.name]) overrides[url.name] = processEnv[url.name]!;
  }
  return overrides;
}
