import { Command, InvalidArgumentError, Option } from 'commander';

/** Everything `taskgate dev` can be told, from flags or their environment variables. */
export interface RuntimeOptions {
  /** The command that synthesizes the app; cdk.json's `app` when not given. */
  readonly app?: string;
  readonly sqsPort: number;
  readonly dynamodbPort: number;
  readonly uiPort: number;
  readonly region: string;
  /** Where local.json and the synthesized app go, relative to the project. */
  readonly stateDir: string;
  readonly speed: number;
  readonly fireNow: readonly string[];
  readonly paused: boolean;
  readonly target: 'embedded' | 'localstack';
  readonly localstackEndpoint: string;
  /** Seconds Ctrl-C waits for batches in flight before returning their messages to the queue. */
  readonly drainSeconds: number;
  readonly verbose: boolean;
}

export const DEFAULT_PORTS = { sqs: 9324, dynamodb: 8000, ui: 9400 } as const;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`a port is 0-65535 (0 picks a free one), given "${value}"`);
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`must be a number above 0, given "${value}"`);
  return n;
}

/** The `taskgate dev` command line; `parse` reads argv and the environment variables named in --help. */
export function runtimeCommand(name = 'taskgate dev'): Command {
  return new Command(name)
    .description(
      'Run the whole app on this machine, no Docker: synthesizes it, starts an embedded SQS and DynamoDB on 127.0.0.1, ' +
        'creates the queues and the ledger table, runs each gate worker bundle with event-source-mapping semantics and fires the schedules.',
    )
    .addOption(new Option('--app <command>', "command that synthesizes the CDK app (default: cdk.json's app)").env('TASKGATE_APP'))
    .addOption(new Option('--sqs-port <port>', 'port of the embedded SQS server').env('TASKGATE_SQS_PORT').argParser(port).default(DEFAULT_PORTS.sqs))
    .addOption(
      new Option('--dynamodb-port <port>', 'port of the embedded DynamoDB server').env('TASKGATE_DYNAMODB_PORT').argParser(port).default(DEFAULT_PORTS.dynamodb),
    )
    .addOption(new Option('--ui-port <port>', 'port of the control server (local.json "ui")').env('TASKGATE_UI_PORT').argParser(port).default(DEFAULT_PORTS.ui))
    .addOption(new Option('--region <region>', 'region in queue ARNs and the workers\' AWS_REGION').env('TASKGATE_REGION').default('us-east-1'))
    .addOption(new Option('--state-dir <dir>', 'where local.json and the synthesized app go').env('TASKGATE_STATE_DIR').default('.taskgate'))
    .addOption(
      new Option('--speed <n>', 'run the scheduler\'s clock n times faster: rate(1 hour) fires every minute at 60').env('TASKGATE_TIME_SCALE').argParser(positive).default(1),
    )
    .addOption(
      new Option('--fire-now <schedule>', 'fire this schedule once at start (repeatable; "all" for every schedule)')
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([] as string[]),
    )
    .addOption(new Option('--paused', 'start with every schedule paused (resume with the CLI or POST /api/schedules/<name>/resume)').env('TASKGATE_PAUSED'))
    .addOption(
      new Option('--target <target>', 'embedded: run everything here; localstack: only fire the schedules into the app deployed on LocalStack')
        .choices(['embedded', 'localstack'])
        .env('TASKGATE_TARGET')
        .default('embedded'),
    )
    .addOption(
      new Option('--localstack-endpoint <url>', 'LocalStack\'s endpoint for --target localstack')
        .env('LOCALSTACK_ENDPOINT')
        .default('http://localhost:4566'),
    )
    .addOption(new Option('--drain-seconds <n>', 'on Ctrl-C, how long batches in flight may finish').argParser(positive).default(30))
    .addOption(new Option('--verbose', 'print every log line of the workers, not only warnings, errors and task logs'))
    .addHelpText(
      'after',
      '\nRuns the CDK app of the current folder (cdk.json\'s "app"), or the one --app synthesizes.\n\nExamples:\n  $ npx taskgate dev\n  $ npx taskgate dev --speed 60 --fire-now cleanup-stray-instances\n  $ TASKGATE_SQS_PORT=0 npx taskgate dev      # any free port; see .taskgate/local.json',
    );
}

export function parseRuntimeOptions(argv: readonly string[]): RuntimeOptions {
  const command = runtimeCommand().exitOverride().showHelpAfterError('(taskgate dev --help for usage)');
  command.parse(argv as string[], { from: 'user' });
  return runtimeOptionsOf(command.opts<Record<string, unknown>>());
}

/** The options a parsed {@link runtimeCommand} holds, typed. */
export function runtimeOptionsOf(o: Record<string, unknown>): RuntimeOptions {
  return {
    app: o.app as string | undefined,
    sqsPort: o.sqsPort as number,
    dynamodbPort: o.dynamodbPort as number,
    uiPort: o.uiPort as number,
    region: o.region as string,
    stateDir: o.stateDir as string,
    speed: o.speed as number,
    fireNow: o.fireNow as string[],
    paused: Boolean(o.paused),
    target: o.target as 'embedded' | 'localstack',
    localstackEndpoint: o.localstackEndpoint as string,
    drainSeconds: o.drainSeconds as number,
    verbose: Boolean(o.verbose),
  };
}
