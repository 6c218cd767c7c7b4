import { ConfigurationError } from './errors';

/** A webhook URL read at run time from an environment variable the Taskgate construct sets on the gate's worker. */
export interface EnvWebhookUrl {
  readonly from: 'env';
  readonly name: string;
}

/** A webhook URL read at run time from an SSM parameter (cached 5 minutes per execution environment). */
export interface SsmWebhookUrl {
  readonly from: 'ssm';
  readonly parameter: string;
  /** The URL the embedded runtime uses, which has no SSM. */
  readonly local?: string;
}

/** Where a webhook task's URL comes from: the URL itself, or configuration per environment. */
export type WebhookUrl = string | EnvWebhookUrl | SsmWebhookUrl;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RESERVED_ENV = /^(AWS_|TASKGATE_|LAMBDA_|_)/;
const SSM_NAME = /^\/?[A-Za-z0-9_.\-/]{1,1010}$/;

/**
 * The URL is the value of environment variable `name` on the gate's worker: give the value in the
 * Taskgate construct's `webhookUrls`, so each deployment (and `npm start`) points at its own endpoint.
 *
 * @example
 * url: fromEnv('PARTNER_WEBHOOK_URL'),
 */
export function fromEnv(name: string): EnvWebhookUrl {
  if (!ENV_NAME.test(name) || RESERVED_ENV.test(name)) {
    throw new ConfigurationError(
      `fromEnv("${name}"): an environment variable name is letters, digits and "_", not starting with a digit, AWS_, TASKGATE_, LAMBDA_ or "_" (those belong to Lambda and taskgate)`,
    );
  }
  return { from: 'env', name };
}

/**
 * The URL is the value of an SSM parameter, read by the worker (granted `ssm:GetParameter` on it
 * by the construct) and cached for 5 minutes. `local` is what the embedded runtime uses instead.
 *
 * @example
 * url: fromSsm('/partner/webhook-url', { local: 'http://127.0.0.1:4010/orders' }),
 */
export function fromSsm(parameter: string, options: { readonly local?: string } = {}): SsmWebhookUrl {
  if (!SSM_NAME.test(parameter)) {
    throw new ConfigurationError(`fromSsm("${parameter}"): an SSM parameter name is letters, digits and _.-/ (at most 1011 characters)`);
  }
  if (options.local !== undefined) checkWebhookUrl(options.local, `fromSsm("${parameter}") local`);
  return { from: 'ssm', parameter, ...(options.local === undefined ? {} : { local: options.local }) };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The URL, if it is absolute `https://`, or `http://` to this machine (127.0.0.1, ::1, localhost)
 * for local receivers. Plain http to anything else would send signed payloads readable on the way.
 *
 * @param where names the URL's source in the error
 */
export function checkWebhookUrl(url: string, where: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`${where}: "${url}" is not an absolute URL; give https://host/path`);
  }
  if (parsed.username || parsed.password) {
    throw new ConfigurationError(`${where}: the URL carries a user name or password; put credentials in the task's headers, not in the URL`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return parsed;
  if (parsed.protocol === 'http:') {
    throw new ConfigurationError(`${where}: plain http:// to ${parsed.hostname} is refused; use https:// (http:// is allowed only to 127.0.0.1, ::1 and localhost)`);
  }
  throw new ConfigurationError(`${where}: ${parsed.protocol}// is not a webhook URL; use https://`);
}
