import { OUTPUT_KEYS } from '../core/outputs';
import { CliError } from './errors';

/** Where the calls go, for messages that say what to do. */
export interface ErrorContext {
  readonly kind: 'local' | 'aws';
  /** `the embedded runtime (.taskgate/local.json)` or `stack X in eu-west-1`. */
  readonly label: string;
  /** The deployed stack (`--stack`), whose outputs name the operator policy. */
  readonly stack?: string;
}

/** The SDK call that failed, as the middleware context names it. */
export interface Operation {
  readonly clientName?: string;
  readonly commandName?: string;
}

/** The slice of an SDK v3 client this module needs. */
interface WithMiddleware {
  readonly middlewareStack: {
    // The SDK's middleware types are generic over each client's input and output unions; this
    // middleware only reads `input` and rethrows, so it is typed loosely on purpose.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    add(middleware: (next: (args: any) => Promise<any>, context: Operation) => (args: any) => Promise<any>, options: { step: 'initialize'; name: string }): void;
  };
}

/** IAM's service prefix of each SDK client the CLI uses. */
const SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  SQSClient: 'sqs',
  DynamoDBClient: 'dynamodb',
  CloudFormationClient: 'cloudformation',
  CloudWatchClient: 'cloudwatch',
  EventBridgeClient: 'events',
  SchedulerClient: 'scheduler',
};

/**
 * The IAM action an SDK command needs: `SQSClient` + `PurgeQueueCommand` → `sqs:PurgeQueue`. SQS
 * authorizes a batch call as its single action (SendMessageBatch → sqs:SendMessage); DynamoDB's
 * batch calls are actions of their own (dynamodb:BatchGetItem).
 */
export function iamAction(clientName: string, commandName: string): string {
  const prefix = SERVICE_PREFIXES[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
  const operation = commandName.replace(/Command$/, '');
  return `${prefix}:${prefix === 'sqs' ? operation.replace(/Batch$/, '') : operation}`;
}

/** Error names of a call the caller's identity may not make. */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'UnauthorizedOperation', 'NotAuthorized']);
/** Error names of credentials AWS does not accept (expired, unknown, or mis-signed). */
const REJECTED_CREDENTIALS = new Set(['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch']);

/**
 * Makes every failure of `client` that a user can fix a one-line CliError (no credentials, no
 * region, an action the identity may not call, a queue or table that does not exist, nothing
 * listening locally); other errors pass through unchanged with their stack, as bugs.
 */
export function explainErrors<C extends WithMiddleware>(client: C, context: ErrorContext): C {
  client.middlewareStack.add(
    (next, operation) => async (args: { input?: Record<string, unknown> }) => {
      try {
        return await next(args);
      } catch (error) {
        throw explain(error, context, args.input ?? {}, operation);
      }
    },
    { step: 'initialize', name: 'taskgateExplainErrors' },
  );
  return client;
}

/** The CliError for an SDK error a user can act on, or the error itself. */
export function explain(error: unknown, context: ErrorContext, input: Record<string, unknown> = {}, operation: Operation = {}): unknown {
  if (error instanceof CliError || !(error instanceof Error)) return error;
  const name = error.name;
  const code = networkCode(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message)) {
    return new CliError(
      'no AWS credentials found; set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), run `aws sso login` if you use SSO, or use --local for the embedded runtime',
    );
  }
  if (DENIED.has(name)) return denied(error, context, input, operation);
  if (REJECTED_CREDENTIALS.has(name)) {
    const action = actionOf(error, operation);
    return new CliError(`AWS rejected the credentials (${name})${action ? ` calling ${action}` : ''}; refresh them (aws sso login, or new access keys) and try again`);
  }
  if (/region is missing/i.test(error.message)) {
    return new CliError('no AWS region; pass --region (such as --region eu-west-1) or set AWS_REGION (or a region in your AWS profile)');
  }
  // The SDK's own check of a region name (--region, AWS_REGION or the profile's), a plain Error.
  const badRegion = /Region not accepted: region="([^"]*)"/.exec(error.message);
  if (badRegion) {
    return new CliError(`${badRegion[1] ? `"${badRegion[1]}"` : 'an empty name'} is not an AWS region; pass one such as --region eu-west-1 (or set AWS_REGION)`);
  }
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    const queue = typeof input.QueueUrl === 'string' ? ` ${input.QueueUrl}` : '';
    return new CliError(
      `queue${queue} does not exist in ${context.label}; ${
        context.kind === 'local' ? 'restart the embedded runtime (taskgate dev) so that it creates its queues' : 'check --stack and the region, or redeploy the stack'
      }`,
    );
  }
  if (name === 'ResourceNotFoundException' && typeof input.TableName === 'string') {
    return new CliError(`table ${input.TableName} does not exist in ${context.label}; ${context.kind === 'local' ? 'restart taskgate dev' : 'check --stack and the region'}`);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(
      context.kind === 'local'
        ? `no embedded runtime is answering (${code}; .taskgate/local.json may be left over from a stopped run); start it with taskgate dev, or pass --stack NAME`
        : `cannot reach AWS (${code}); check your network, AWS_REGION and AWS_ENDPOINT_URL`,
    );
  }
  return error;
}

/** `AWS denied sqs:PurgeQueue on <queue> (AccessDenied); attach the policy of output TaskgateOperatorPolicyArn ...`. */
function denied(error: Error, context: ErrorContext, input: Record<string, unknown>, operation: Operation): CliError {
  const action = actionOf(error, operation) ?? 'a call';
  const resource = /\bon resource: ?(\S+?)[.,;]?(?:\s|$)/.exec(error.message)?.[1] ?? resourceOf(input);
  const what = `AWS denied ${action}${resource ? ` on ${resource}` : ''} (${error.name})`;
  if (!context.stack) return new CliError(`${what}; the identity calling ${context.label} needs that permission`);
  // The operator policy reads only its own stack, so a mistyped --stack is denied rather than not found.
  const typo = action.startsWith('cloudformation:') ? `check --stack ${context.stack}; if it is right, ` : '';
  return new CliError(
    `${what}; ${typo}attach the managed policy in stack ${context.stack}'s output ${OUTPUT_KEYS.operatorPolicyArn} to your role or user (if it is attached, redeploy the stack with this version of taskgate)`,
  );
}

/** The denied action: as AWS's message names it ("not authorized to perform: X"), else from the SDK call. */
function actionOf(error: Error, operation: Operation): string | undefined {
  const named = /perform: ?([a-z0-9-]+:[A-Za-z0-9]+)/.exec(error.message)?.[1];
  if (named) return named;
  return operation.clientName && operation.commandName ? iamAction(operation.clientName, operation.commandName) : undefined;
}

function resourceOf(input: Record<string, unknown>): string | undefined {
  for (const key of ['QueueUrl', 'SourceArn', 'TableName', 'StackName', 'Name']) {
    if (typeof input[key] === 'string') return input[key];
  }
  const tables = input.RequestItems;
  return tables && typeof tables === 'object' ? Object.keys(tables).join(', ') || undefined : undefined;
}

function networkCode(error: Error): string | undefined {
  const withCode = error as Error & { code?: string; errors?: Array<{ code?: string }>; cause?: { code?: string } };
  return withCode.code ?? withCode.errors?.[0]?.code ?? withCode.cause?.code;
}
