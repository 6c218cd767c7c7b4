import { ConfigurationError, PermanentError } from '../../core/errors';
import type { AnyTask } from '../../core/task';
import { checkWebhookUrl, type WebhookUrl } from '../../core/webhook-url';
import { EMBEDDED_EXECUTION_ENV } from '../worker-env';

/** Seconds an SSM parameter's URL is reused per execution environment. */
export const URL_MAX_AGE_SECONDS = 300;

/** The slice of Powertools' SSMProvider used here (its cache: one read per name per maxAge). */
let ssm: { get(name: string, options: { maxAge: number }): Promise<unknown> } | undefined;

/**
 * The task's URL for this run, checked as at synth: https, or http to this machine only. A URL
 * missing or refused is a PermanentError (reason `webhook-config`): no retry can fix it.
 */
export async function resolveUrl(task: AnyTask, url: WebhookUrl, env: NodeJS.ProcessEnv = process.env): Promise<URL> {
  const [value, where] = await urlValue(task, url, env);
  try {
    return checkWebhookUrl(value, where);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new PermanentError(error.message, { reason: 'webhook-config' });
    throw error;
  }
}

async function urlValue(task: AnyTask, url: WebhookUrl, env: NodeJS.ProcessEnv): Promise<[string, string]> {
  if (typeof url === 'string') return [url, `task ${task.name}: url`];
  if (url.from === 'env') {
    const value = env[url.name];
    if (!value) {
      throw new PermanentError(`task ${task.name} reads its URL from environment variable ${url.name}, which is not set; give it in the Taskgate construct's webhookUrls`, {
        reason: 'webhook-config',
      });
    }
    return [value, `task ${task.name}: ${url.name}`];
  }
  if (env.AWS_EXECUTION_ENV === EMBEDDED_EXECUTION_ENV) {
    if (url.local === undefined) {
      throw new PermanentError(`task ${task.name} reads its URL from SSM parameter ${url.parameter}, and the embedded runtime has no SSM; give fromSsm('${url.parameter}', { local: 'http://127.0.0.1:PORT/path' })`, {
        reason: 'webhook-config',
      });
    }
    return [url.local, `task ${task.name}: fromSsm local`];
  }
  if (!ssm) {
    const { SSMProvider: Provider } = await import('@aws-lambda-powertools/parameters/ssm');
    ssm = new Provider();
  }
  const value = await ssm.get(url.parameter, { maxAge: URL_MAX_AGE_SECONDS });
  if (typeof value !== 'string' || !value) throw new PermanentError(`task ${task.name}: SSM parameter ${url.parameter} is empty`, { reason: 'webhook-config' });
  return [value, `task ${task.name}: SSM parameter ${url.parameter}`];
}
