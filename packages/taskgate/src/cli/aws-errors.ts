import { CliError } from './errors';

/** Where the calls go, for messages that say what to do. */
export interface ErrorContext {
  readonly kind: 'local' | 'aws';
  /** `the embedded runtime (.taskgate/local.json)` or `stack X in eu-west-1`. */
  readonly label: string;
}

/** The slice of an SDK v3 client this module needs. */
interface WithMiddleware {
  readonly middlewareStack: {
    // The SDK's middleware types are generic over each client's input and output unions; this
    // middleware only reads `input` and rethrows, so it is typed loosely on purpose.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    add(middleware: (next: (args: any) => Promise<any>) => (args: any) => Promise<any>, options: { step: 'initialize'; name: string }): void;
  };
}

/**
 * Makes every failure of `client` that a user can fix a one-line CliError (no credentials, no
 * region, a queue or table that does not exist, nothing listening locally); other errors pass
 * through unchanged with their stack, as bugs.
 */
export function explainErrors<C extends WithMiddleware>(client: C, context: ErrorContext): C {
  client.middlewareStack.add(
    (next) => async (args: { input?: Record<string, unknown> }) => {
      try {
        return await next(args);
      } catch (error) {
        throw explain(error, context, args.input ?? {});
      }
    },
    { step: 'initialize', name: 'taskgateExplainErrors' },
  );
  return client;
}

/** The CliError for an SDK error a user can act on, or the error itself. */
export function explain(error: unknown, context: ErrorContext, input: Record<string, unknown> = {}): unknown {
  if (error instanceof CliError || !(error instanceof Error)) return error;
  const name = error.name;
  const code = networkCode(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message)) {
    return new CliError(
      'no AWS credentials found; set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), run `aws sso login` if you use SSO, or use --local for the embedded runtime',
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException'].includes(name)) {
    return new CliError(`AWS rejected the credentials (${name}); refresh them (aws sso login, or new access keys) and try again`);
  }
  if (/region is missing/i.test(error.message)) {
    return new CliError('no AWS region; set AWS_REGION (or a region in your AWS profile) or pass --region');
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

function networkCode(error: Error): string | undefined {
  const withCode = error as Error & { code?: string; errors?: Array<{ code?: string }>; cause?: { code?: string } };
  return withCode.code ?? withCode.errors?.[0]?.code ?? withCode.cause?.code;
}
