import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../core/errors';
import type { AnyTask } from '../core/task';
import { checkWebhookUrl } from '../core/webhook-url';
import { WORKER_ENV } from '../worker/worker-env';

/** What a gate's webhook tasks need from outside the gate. */
export interface GateWebhookProps {
  readonly gateName: string;
  readonly tasks: readonly AnyTask[];
  readonly worker: lambda.Function;
  /** A secret of the app's own instead of the one the gate creates. */
  readonly secret?: secretsmanager.ISecret;
  /** Values of the environment variables that `fromEnv` URLs name. */
  readonly urls: Readonly<Record<string, string>>;
}

/**
 * Wires a gate's webhook tasks: the signing secret (created, or given) readable by this gate's
 * worker only, its ARN in the worker's environment, each `fromEnv` URL's variable (checked: https,
 * or http to loopback), and `ssm:GetParameter` on each `fromSsm` parameter. Returns the secret
 * (none for a gate without webhook tasks) and the environment variables it set.
 */
export function wireGateWebhooks(scope: Construct, props: GateWebhookProps): { secret?: secretsmanager.ISecret; environment: Record<string, string> } {
  const webhooks = props.tasks.filter((task) => task.webhook !== undefined);
  const environment: Record<string, string> = {};
  if (webhooks.length === 0) {
    if (props.secret) throw new ConfigurationError(`gate ${props.gateName}: webhookSecret is given, but the gate has no webhook tasks; remove webhookSecret`);
    return { environment };
  }
  const secret = props.secret ?? createSecret(scope, props.gateName);
  grantGetSecretValue(secret, props.worker);
  environment[WORKER_ENV.signingSecretArn] = secret.secretArn;
  const stack = Stack.of(scope);
  for (const task of webhooks) {
    const url = task.webhook!.url;
    if (typeof url === 'string') continue;
    if (url.from === 'env') {
      const value = props.urls[url.name];
      if (value === undefined) {
        throw new ConfigurationError(`task ${task.name} reads its URL from ${url.name}; give Taskgate webhookUrls: { ${url.name}: 'https://...' }`);
      }
      if (!Token.isUnresolved(value)) checkWebhookUrl(value, `Taskgate webhookUrls.${url.name} (task ${task.name})`);
      environment[url.name] = value;
    } else {
      props.worker.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: url.parameter.replace(/^\//, '') })],
        }),
      );
    }
  }
  for (const [name, value] of Object.entries(environment)) props.worker.addEnvironment(name, value);
  return { secret, environment };
}

/**
 * What the worker calls, and only that: GetSecretValue (through Powertools), where `grantRead` would
 * add DescribeSecret. A secret under a customer key needs that key to decrypt, through Secrets
 * Manager only, as `grantRead` grants it.
 */
function grantGetSecretValue(secret: secretsmanager.ISecret, worker: lambda.Function): void {
  iam.Grant.addToPrincipal({ grantee: worker, actions: ['secretsmanager:GetSecretValue'], resourceArns: [secret.secretFullArn ?? `${secret.secretArn}-??????`] });
  secret.encryptionKey?.grantDecrypt(new kms.ViaServicePrincipal(`secretsmanager.${Stack.of(secret).region}.amazonaws.com`, worker.grantPrincipal));
}

/**
 * 48 letters and digits: all base64 characters, so the value is a Standard Webhooks secret of 36
 * bytes as it stands (a receiver writes `whsec_` before it).
 */
function createSecret(scope: Construct, gate: string): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'WebhookSecret', {
    description: `taskgate: webhook signing secret(s) of gate ${gate} (one or two whsec_ values, space-separated)`,
    generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'a webhook signing secret is shared with the receiver, so it rotates by hand with two secrets active at once (README: rotate a webhook secret), not by a rotation Lambda',
  });
  return secret;
}
