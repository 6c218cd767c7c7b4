import { readFile } from 'node:fs/promises';
import { PermanentError } from '../../core/errors';
import { WORKER_ENV, webhookSecretVariable } from '../worker-env';
import { parseSecrets, WebhookSecretError } from './signature';

/** Seconds a secret read from Secrets Manager is reused: at most one read per execution environment per 5 minutes. */
export const SECRET_MAX_AGE_SECONDS = 300;

/** The slice of Powertools' SecretsProvider used here (its cache: one read per name per maxAge). */
let provider: { get(name: string, options: { maxAge: number }): Promise<unknown> } | undefined;

/**
 * The gate's signing keys, from the first of: `TASKGATE_WEBHOOK_SECRET_<GATE>` (the value itself,
 * for local runs and tests), the file in `TASKGATE_SIGNING_SECRET_FILE` (the embedded runtime's
 * `.taskgate/secrets/<gate>`, read at each run so an edit applies at once), the Secrets Manager
 * secret in `TASKGATE_SIGNING_SECRET_ARN` (the Gate construct's; cached by Powertools Parameters).
 * A missing or malformed secret is a PermanentError naming where it looked, never the value.
 */
export async function signingKeys(gate: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer[]> {
  const variable = webhookSecretVariable(gate);
  const [value, where] = await secretValue(gate, variable, env);
  try {
    return parseSecrets(value, where);
  } catch (error) {
    if (error instanceof WebhookSecretError) throw new PermanentError(error.message, { reason: 'webhook-config' });
    throw error;
  }
}

async function secretValue(gate: string, variable: string, env: NodeJS.ProcessEnv): Promise<[string, string]> {
  const direct = env[variable];
  if (direct) return [direct, `environment variable ${variable}`];
  const file = env[WORKER_ENV.signingSecretFile];
  if (file) return [await readFile(file, 'utf8'), `the secret file ${file}`];
  const arn = env[WORKER_ENV.signingSecretArn];
  if (arn) return [await fromSecretsManager(arn), `Secrets Manager secret ${arn}`];
  throw new PermanentError(
    `gate ${gate} has no webhook signing secret: none of ${variable}, ${WORKER_ENV.signingSecretFile} or ${WORKER_ENV.signingSecretArn} is set (the Gate construct sets the last on gates with webhook tasks)`,
    { reason: 'webhook-config' },
  );
}

async function fromSecretsManager(arn: string): Promise<string> {
  if (!provider) {
    // Loaded on first use: local runs and tests that give the secret directly never load the SDK client.
    const { SecretsProvider: Provider } = await import('@aws-lambda-powertools/parameters/secrets');
    provider = new Provider();
  }
  const value = await provider.get(arn, { maxAge: SECRET_MAX_AGE_SECONDS });
  if (typeof value !== 'string') {
    throw new PermanentError(`Secrets Manager secret ${arn} holds binary data; store the whsec_ secret(s) as its secret string`, { reason: 'webhook-config' });
  }
  return value;
}
