import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { closest, TaskRegistry } from '../lambdas/registry';
import { tasks } from '../lambdas/tasks';
import { gateOutputKey, OUTPUT_KEYS } from '../lib/outputs';
import type { LocalConfig } from '../local/local-config';
import { synthesize } from '../local/synth';
import { readTemplate, type TriggerModel } from '../local/template';
import { explainErrors, type ErrorContext } from './aws-errors';
import { AwsScheduleController } from './aws-schedules';
import { DeployedStack } from './deployed-stack';
import { CliError } from './errors';
import { LocalScheduleController, requestControl, type ScheduleController } from './schedule-control';

/** The options every command that talks to a target accepts (set on the program). */
export interface TargetOptions {
  readonly local?: boolean;
  readonly stack?: string;
  readonly localConfig?: string;
  readonly region?: string;
}

/** One gate's queues as the CLI uses them. */
export interface GateEndpoints {
  readonly name: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** The gate's concurrency cap, when the target says. */
  readonly concurrency?: number;
}

/** What one-time schedules (`trigger --at`) need: a Scheduler client, the role and the group. */
export interface OnceScheduling {
  readonly scheduler: SchedulerClient;
  readonly roleArn: string;
  readonly group: string;
}

/** Everything a command needs to reach one running taskgate: the embedded runtime or a stack. */
export interface Target extends ErrorContext {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
  /** The app's tasks (this checkout's `lambdas/tasks`): payload checks, gates, names. */
  readonly registry: TaskRegistry;
  readonly gates: ReadonlyMap<string, GateEndpoints>;
  readonly schedules: ScheduleController;
  /** Things the target lacks that a user should know about (a gate without outputs, say). */
  readonly warnings: readonly string[];
  /** For `status`'s age of the oldest message; SQS has no such attribute, CloudWatch does. */
  readonly cloudwatch?: CloudWatchClient;
  /**
   * Messages in flight longer than their tasks' timeout, by gate: only the embedded runtime knows
   * (its pollers track each batch). On AWS, Lambda ends an invocation at the function timeout.
   */
  stalledMessages?(): Promise<ReadonlyMap<string, number>>;
  /** Whether SQS message move tasks exist (AWS) or redrive must loop (the embedded server). */
  readonly messageMoveTasks: boolean;
  ledgerTable(): string;
  gate(name: string): GateEndpoints;
  gateOfTask(task: string): GateEndpoints;
  /** The deployed (or synthesized) rules and schedules, which render each tick's message body. */
  triggers(): Promise<TriggerModel[]>;
  /** The stack's (AWS) or the embedded runtime's Scheduler API, which holds one-time schedules. */
  onceScheduling(): OnceScheduling;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'taskgate', secretAccessKey: 'taskgate' };
const PROJECT_ROOT = path.resolve(__dirname, '..');
/** The role a one-time schedule names locally when local.json gives none: the runtime assumes no role. */
const LOCAL_ONCE_ROLE_ARN = 'arn:aws:iam::000000000000:role/taskgate-local-once-schedules';

/**
 * Resolves `--stack NAME` (AWS, standard credential chain; AWS_ENDPOINT_URL for LocalStack is
 * honoured by the SDK), or `--local` / a `.taskgate/local.json` found from the working directory
 * up (the embedded runtime), into one Target.
 */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  const stack = options.stack ?? process.env.TASKGATE_STACK;
  if (options.local && options.stack) throw new CliError('--local and --stack exclude each other; pass one');
  if (stack && !options.local) return awsTarget(stack, options.region);
  const configFile = findLocalConfig(options);
  if (!configFile) {
    throw new CliError(
      options.local || options.localConfig || process.env.TASKGATE_LOCAL_CONFIG
        ? `no embedded runtime running (no ${options.localConfig ?? process.env.TASKGATE_LOCAL_CONFIG ?? '.taskgate/local.json'} found); start it with npm start, or pass --stack NAME for a deployed stack`
        : 'no target: no embedded runtime running here (no .taskgate/local.json); start it with npm start, or pass --stack NAME (or set TASKGATE_STACK) for a deployed stack',
    );
  }
  return localTarget(configFile);
}

function findLocalConfig(options: TargetOptions): string | undefined {
  const explicit = options.localConfig ?? process.env.TASKGATE_LOCAL_CONFIG;
  if (explicit) return fs.existsSync(explicit) ? path.resolve(explicit) : undefined;
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.taskgate', 'local.json');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readConfig(file: string): LocalConfig {
  let config: Partial<LocalConfig>;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalConfig>;
  } catch (error) {
    throw new CliError(`${file} is not readable JSON (${(error as Error).message}); restart the embedded runtime (npm start) to rewrite it`);
  }
  const missing = (['region', 'sqsEndpoint', 'dynamodbEndpoint', 'ledgerTable', 'ui', 'gates', 'tasks'] as const).filter((key) => config[key] === undefined);
  if (missing.length > 0) throw new CliError(`${file} lacks ${missing.join(', ')}; restart the embedded runtime (npm start) to rewrite it`);
  return config as LocalConfig;
}

function localTarget(configFile: string): Target {
  const config = readConfig(configFile);
  const context: ErrorContext = { kind: 'local', label: `the embedded runtime (${path.relative(process.cwd(), configFile) || configFile})` };
  // Few retries: a refused connection means the runtime is not running, not a passing glitch.
  const common = { region: config.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
  const sqs = explainErrors(new SQSClient({ ...common, endpoint: config.sqsEndpoint }), context);
  const dynamodb = DynamoDBDocumentClient.from(explainErrors(new DynamoDBClient({ ...common, endpoint: config.dynamodbEndpoint }), context));
  const gates = new Map(Object.entries(config.gates).map(([name, gate]) => [name, { name, ...gate }]));
  const cdkOut = path.join(path.dirname(configFile), 'cdk.out');
  return makeTarget({
    ...context,
    sqs,
    dynamodb,
    gates,
    taskGates: new Map(Object.entries(config.tasks)),
    schedules: new LocalScheduleController(config.ui),
    stalledMessages: async () => {
      const gates = (await requestControl(config.ui, 'GET', '/api/gates')) as Array<{ name: string; stalled?: unknown }>;
      // A runtime from before this count answers without it: nothing to show then.
      return new Map(gates.filter((gate) => typeof gate.stalled === 'number').map((gate) => [gate.name, gate.stalled as number]));
    },
    warnings: [],
    messageMoveTasks: false,
    ledgerTable: () => config.ledgerTable,
    triggers: () => localTriggers(cdkOut),
    // The runtime serves EventBridge Scheduler's API at `ui`, as it does for its workers.
    onceScheduling: () => ({
      scheduler: explainErrors(new SchedulerClient({ ...common, endpoint: config.ui }), context),
      roleArn: config.onceScheduleRoleArn ?? LOCAL_ONCE_ROLE_ARN,
      group: config.scheduleGroup ?? 'default',
    }),
  });
}

/** The rules and schedules of the app the embedded runtime runs: its synthesized templates. */
async function localTriggers(cdkOut: string): Promise<TriggerModel[]> {
  let templates: Array<{ name: string; templateFile: string }> = [];
  const manifestFile = path.join(cdkOut, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {
      artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
    };
    templates = Object.entries(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
      .map(([name, artifact]) => ({ name, templateFile: path.join(cdkOut, artifact.properties!.templateFile!) }));
  } else {
    // The runtime's own synthesis is not next to local.json: synthesize this checkout's app.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-synth-'));
    try {
      const assembly = await synthesize(PROJECT_ROOT, outdir);
      return assembly.stacks.flatMap((stack) => {
        const model = readTemplate(stack.templateFile, stack.name);
        return [...model.rules, ...model.schedules];
      });
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
  return templates.flatMap((stack) => {
    const model = readTemplate(stack.templateFile, stack.name);
    return [...model.rules, ...model.schedules];
  });
}

async function awsTarget(stackName: string, region: string | undefined): Promise<Target> {
  const regionOption = region ? { region } : {};
  const cloudformation = new CloudFormationClient(regionOption);
  const context: ErrorContext = { kind: 'aws', label: `stack ${stackName}` };
  explainErrors(cloudformation, context);
  const stack = await DeployedStack.load(cloudformation, stackName);
  const awsContext: ErrorContext = { kind: 'aws', label: `stack ${stackName} in ${stack.region}` };
  const clientOptions = { region: stack.region };
  const registry = new TaskRegistry(tasks);
  const gates = new Map<string, GateEndpoints>();
  const warnings: string[] = [];
  for (const gate of registry.gates()) {
    const queueUrl = stack.outputs.get(gateOutputKey(gate, 'QueueUrl'));
    const dlqUrl = stack.outputs.get(gateOutputKey(gate, 'DeadLetterQueueUrl'));
    if (!queueUrl || !dlqUrl) {
      warnings.push(`gate ${gate} has no ${gateOutputKey(gate, 'QueueUrl')} output in stack ${stackName}; redeploy the stack with this code`);
      continue;
    }
    gates.set(gate, { name: gate, queueUrl, dlqUrl, concurrency: stack.concurrency(gate) });
  }
  const scheduler = explainErrors(new SchedulerClient(clientOptions), awsContext);
  return makeTarget({
    ...awsContext,
    sqs: explainErrors(new SQSClient(clientOptions), awsContext),
    dynamodb: DynamoDBDocumentClient.from(explainErrors(new DynamoDBClient(clientOptions), awsContext)),
    gates,
    taskGates: new Map(registry.all().map((task) => [task.name, task.gate])),
    schedules: new AwsScheduleController(stack, explainErrors(new EventBridgeClient(clientOptions), awsContext), scheduler),
    warnings,
    cloudwatch: explainErrors(new CloudWatchClient(clientOptions), awsContext),
    messageMoveTasks: true,
    ledgerTable: () => stack.output(OUTPUT_KEYS.ledgerTable, 'the run ledger table'),
    triggers: async () => [...stack.model.rules, ...stack.model.schedules],
    onceScheduling: () => ({
      scheduler,
      roleArn: stack.output(OUTPUT_KEYS.onceScheduleRoleArn, 'the role one-time schedules send with'),
      group: stack.output(OUTPUT_KEYS.scheduleGroup, 'the group of one-time schedules'),
    }),
  });
}

interface TargetParts extends Omit<Target, 'registry' | 'gate' | 'gateOfTask'> {
  readonly taskGates: ReadonlyMap<string, string>;
}

function makeTarget(parts: TargetParts): Target {
  const registry = new TaskRegistry(tasks);
  const { taskGates, ...rest } = parts;
  const gate = (name: string): GateEndpoints => {
    const found = parts.gates.get(name);
    if (found) return found;
    const names = [...parts.gates.keys()];
    const suggestion = closest(name, names);
    throw new CliError(`no gate named "${name}" in ${parts.label}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; gates: ${names.join(', ') || 'none'}`);
  };
  return {
    ...rest,
    registry,
    gate,
    gateOfTask(task: string) {
      const name = taskGates.get(task) ?? registry.find(task)?.gate;
      if (!name) throw new CliError(registry.unknownTaskMessage(task));
      return gate(name);
    },
  };
}
