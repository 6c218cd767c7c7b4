import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { closest, TaskRegistry } from '../core/registry';
import { gateOutputKey, outputKey } from '../core/outputs';
import type { AnyTask } from '../core/task';
import type { RateLimit } from '../worker/rate/rate-limit';
import { LOCAL_DYNAMIC_ROLE_ARN, type LocalConfig, type LocalTaskgate } from '../local/local-config';
import { appTaskgates, type AppTaskgate } from '../local/taskgates';
import type { AppModel, TriggerModel } from '../local/template';
import { modelsIn, synthesizeAppHere, tasksFromMetadata } from './app-tasks';
import { explain, explainErrors, type ErrorContext } from './aws-errors';
import { AwsScheduleController } from './aws-schedules';
import { DeployedStack } from './deployed-stack';
import { CliError } from './errors';
import { LocalScheduleController, requestControl, type ScheduleController } from './schedule-control';
import { chooseTaskgate, chooseTaskgateKey, wantedTaskgate } from './taskgate-choice';
import { withDynamicSchedules } from './dynamic-schedules';

/** The options every command that talks to a target accepts (set on the program). */
export interface TargetOptions {
  readonly local?: boolean;
  readonly stack?: string;
  readonly localConfig?: string;
  readonly region?: string;
  /** Which Taskgate of the stack (or of the embedded runtime's app), where it has several. */
  readonly taskgate?: string;
}

/** One gate's queues as the CLI uses them. */
export interface GateEndpoints {
  readonly name: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** The gate's concurrency cap, when the target says. */
  readonly concurrency?: number;
  /** The gate's rate, when it has one (from the template's metadata). */
  readonly rate?: RateLimit;
  /** Seconds past which the gate's oldest message sets off its alarm, when the target says (a stack). */
  readonly maxMessageAgeSeconds?: number;
}

/** What one-time schedules (`trigger --at`) need: a Scheduler client, the role and the group. */
export interface OnceScheduling {
  readonly scheduler: SchedulerClient;
  readonly roleArn: string;
  readonly group: string;
}

/** Where schedules created at run time live (`taskgate schedules create`): a Scheduler client, the dynamic group and its role. */
export type DynamicScheduling = OnceScheduling;

/** Everything a command needs to reach one running taskgate: the embedded runtime or a stack. */
export interface Target extends ErrorContext {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
  /** The app's tasks, from its template's metadata: payload checks, gates, names. */
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
  /**
   * The group of schedules created at run time, in the same Scheduler; undefined for a stack (or
   * a runtime's app) deployed before taskgate had one.
   */
  dynamicScheduling(): DynamicScheduling | undefined;
}

/**
 * The app's tasks as far as they are known WITHOUT contacting a target, so commands check task names
 * and payloads before they connect: the embedded runtime's synthesized app, or the app of this
 * folder synthesized now. Undefined for `--stack`, whose tasks are the deployed template's: there
 * the command checks them on the target's registry.
 */
export async function appRegistryBeforeConnecting(options: TargetOptions): Promise<TaskRegistry | undefined> {
  if ((options.stack ?? process.env.TASKGATE_STACK) && !options.local) return undefined;
  return new TaskRegistry(tasksOf(await resolveAppModels(options)));
}

/** The task a command's argument names, or a CliError with the closest name. */
export function taskArgument(registry: TaskRegistry, name: string): AnyTask {
  const task = registry.find(name);
  if (!task) throw new CliError(registry.unknownTaskMessage(name));
  return task;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'taskgate', secretAccessKey: 'taskgate' };
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
  if (stack && !options.local) return awsTarget(stack, options.region, wantedTaskgate(options));
  const configFile = findLocalConfig(options);
  if (!configFile) {
    throw new CliError(
      options.local || options.localConfig || process.env.TASKGATE_LOCAL_CONFIG
        ? `no embedded runtime running (no ${options.localConfig ?? process.env.TASKGATE_LOCAL_CONFIG ?? '.taskgate/local.json'} found); start it with taskgate dev, or pass --stack NAME for a deployed stack`
        : 'no target: no embedded runtime running here (no .taskgate/local.json); start it with taskgate dev, or pass --stack NAME (or set TASKGATE_STACK) for a deployed stack',
    );
  }
  return localTarget(configFile, wantedTaskgate(options));
}

/**
 * The app's templates for a command that reads the app but no queue (`taskgate tasks`): the deployed
 * stack's with --stack, else the embedded runtime's synthesized app, else the app of this folder
 * synthesized now; of those, the resources of the Taskgate the command addresses.
 */
export async function resolveAppModels(options: TargetOptions): Promise<AppModel[]> {
  const stack = options.stack ?? process.env.TASKGATE_STACK;
  if (options.local && options.stack) throw new CliError('--local and --stack exclude each other; pass one');
  if (stack && !options.local) {
    const context: ErrorContext = { kind: 'aws', label: `stack ${stack}` };
    const cloudformation = explainErrors(new CloudFormationClient(options.region ? { region: options.region } : {}), context);
    let model: DeployedStack['model'];
    try {
      ({ model } = await DeployedStack.load(cloudformation, stack));
    } catch (error) {
      // Resolving the region happens before any call, outside the client's error middleware (as in awsTarget).
      throw explain(error, context);
    }
    return [chooseTaskgate(appTaskgates([model]), wantedTaskgate(options), `stack ${stack}`)?.model ?? model];
  }
  const configFile = findLocalConfig(options);
  const models = (configFile ? modelsIn(path.join(path.dirname(configFile), 'cdk.out')) : undefined) ?? (await synthesizeAppHere());
  const chosen = chooseTaskgate(appTaskgates(models), wantedTaskgate(options), configFile ? "the embedded runtime's app" : 'the app');
  return chosen ? [chosen.model] : models;
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
    throw new CliError(`${file} is not readable JSON (${(error as Error).message}); restart the embedded runtime (taskgate dev) to rewrite it`);
  }
  const missing = (['region', 'sqsEndpoint', 'dynamodbEndpoint', 'ledgerTable', 'ui', 'token', 'gates', 'tasks'] as const).filter((key) => config[key] === undefined);
  if (missing.length > 0) throw new CliError(`${file} lacks ${missing.join(', ')}; restart the embedded runtime (taskgate dev) to rewrite it`);
  return config as LocalConfig;
}

/**
 * The embedded runtime described by a local.json, for the Taskgate `wanted` (or its only one). The
 * runtime itself passes its own schedule controller (the operator page it serves acts on its
 * scheduler directly, not over HTTP).
 */
export function localTarget(configFile: string, wanted: string | undefined, overrides: { readonly schedules?: ScheduleController } = {}): Target {
  const config = readConfig(configFile);
  const context: ErrorContext = { kind: 'local', label: `the embedded runtime (${path.relative(process.cwd(), configFile) || configFile})` };
  // Few retries: a refused connection means the runtime is not running, not a passing glitch.
  const common = { region: config.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
  const sqs = explainErrors(new SQSClient({ ...common, endpoint: config.sqsEndpoint }), context);
  const dynamodb = DynamoDBDocumentClient.from(explainErrors(new DynamoDBClient({ ...common, endpoint: config.dynamodbEndpoint }), context));
  // The app as the runtime synthesized it, next to local.json.
  const cdkOut = path.join(path.dirname(configFile), 'cdk.out');
  const all = modelsIn(cdkOut);
  const taskgates = all ? appTaskgates(all) : [];
  // local.json's `taskgates` (an app of several) or its top level (of one) describes the one addressed.
  const key = chooseTaskgateKey(config.taskgates ? Object.keys(config.taskgates) : taskgates.map((t) => t.key), wanted, "the embedded runtime's app");
  const taskgate = taskgates.find((t) => t.key === key);
  const entry: LocalTaskgate = (key !== undefined ? config.taskgates?.[key] : undefined) ?? config;
  const models = taskgate ? [taskgate.model] : all;
  const unknown = new CliError(`the embedded runtime's synthesized app (${cdkOut}) is missing, so its tasks and schedules are unknown; restart taskgate dev`);
  // The runtime serves EventBridge Scheduler's API at `ui`, as it does for its workers.
  const scheduler = explainErrors(new SchedulerClient({ ...common, endpoint: config.ui }), context);
  const dynamicGroup = entry.dynamicScheduleGroup;
  const triggers = async () => {
    if (!models) throw unknown;
    return triggersOf(models);
  };
  const dynamicScheduling = () => (dynamicGroup ? { scheduler, roleArn: LOCAL_DYNAMIC_ROLE_ARN, group: dynamicGroup } : undefined);
  return makeTarget({
    ...context,
    sqs,
    dynamodb,
    gates: new Map(Object.entries(entry.gates).map(([name, gate]) => [name, { name, ...gate }])),
    tasks: models ? tasksOf(models) : unknown,
    taskGates: new Map(Object.entries(entry.tasks)),
    schedules:
      overrides.schedules ??
      withDynamicSchedules(new LocalScheduleController(config.ui, config.token, { ...scheduleNaming(taskgates, taskgate), ...(dynamicGroup ? { dynamicGroup } : {}) }), dynamicScheduling, triggers),
    stalledMessages: async () => {
      const gates = (await requestControl(config.ui, 'GET', '/api/gates')) as Array<{ name: string; stalled?: unknown }>;
      // A runtime from before this count answers without it: nothing to show then.
      return new Map(gates.filter((gate) => typeof gate.stalled === 'number').map((gate) => [gate.name, gate.stalled as number]));
    },
    warnings: [],
    messageMoveTasks: false,
    ledgerTable: () => entry.ledgerTable,
    triggers,
    onceScheduling: () => ({ scheduler, roleArn: entry.onceScheduleRoleArn ?? LOCAL_ONCE_ROLE_ARN, group: entry.scheduleGroup ?? 'default' }),
    dynamicScheduling,
  });
}

/** How the embedded runtime names the schedules of `taskgate`: as they are for the app's first Taskgate, `<key>/<name>` for the others. */
function scheduleNaming(taskgates: readonly AppTaskgate[], taskgate: AppTaskgate | undefined): { prefix: string; others: string[] } {
  const prefixOf = (t: AppTaskgate) => (t.primary ? '' : `${t.key}/`);
  return { prefix: taskgate ? prefixOf(taskgate) : '', others: taskgates.filter((t) => t !== taskgate && !t.primary).map(prefixOf) };
}

/** Every task the app's gate workers run, from their template metadata. */
export function tasksOf(models: readonly AppModel[]): AnyTask[] {
  return tasksFromMetadata(models.flatMap((model) => model.tasks));
}

function triggersOf(models: readonly AppModel[]): TriggerModel[] {
  return models.flatMap((model) => [...model.rules, ...model.schedules]);
}

async function awsTarget(stackName: string, region: string | undefined, wanted: string | undefined): Promise<Target> {
  const regionOption = region ? { region } : {};
  const cloudformation = new CloudFormationClient(regionOption);
  const context: ErrorContext = { kind: 'aws', label: `stack ${stackName}`, stack: stackName };
  explainErrors(cloudformation, context);
  let stack: DeployedStack;
  try {
    stack = await DeployedStack.load(cloudformation, stackName);
  } catch (error) {
    // Resolving the region happens before any call, outside the client's error middleware.
    throw explain(error, context);
  }
  const taskgate = chooseTaskgate(appTaskgates([stack.model]), wanted, `stack ${stackName}`);
  // Of a stack of several Taskgates, the one addressed: its resources, and its outputs' keys.
  if (taskgate) stack = stack.withModel(taskgate.model);
  const identity = taskgate?.identity;
  const awsContext: ErrorContext = { ...context, label: `stack ${stackName} in ${stack.region}` };
  const clientOptions = { region: stack.region };
  const tasks = tasksOf([stack.model]);
  const registry = new TaskRegistry(tasks);
  const gates = new Map<string, GateEndpoints>();
  const warnings: string[] = [];
  if (tasks.length === 0) warnings.push(`stack ${stackName}'s template describes no taskgate tasks (taskgate:tasks metadata); redeploy it with taskgate 0.2 or later`);
  for (const gate of registry.gates()) {
    const queueUrl = stack.outputs.get(gateOutputKey(gate, 'QueueUrl', identity));
    const dlqUrl = stack.outputs.get(gateOutputKey(gate, 'DeadLetterQueueUrl', identity));
    if (!queueUrl || !dlqUrl) {
      warnings.push(`gate ${gate} has no ${gateOutputKey(gate, 'QueueUrl', identity)} output in stack ${stackName}; redeploy the stack with this code`);
      continue;
    }
    gates.set(gate, { name: gate, queueUrl, dlqUrl, concurrency: stack.concurrency(gate), rate: stack.rate(gate), maxMessageAgeSeconds: stack.maxMessageAge(gate) });
  }
  const scheduler = explainErrors(new SchedulerClient(clientOptions), awsContext);
  const dynamicGroup = stack.outputs.get(outputKey('dynamicScheduleGroup', identity));
  const dynamicRole = stack.outputs.get(outputKey('dynamicScheduleRoleArn', identity));
  const dynamicScheduling = () => (dynamicGroup && dynamicRole ? { scheduler, roleArn: dynamicRole, group: dynamicGroup } : undefined);
  const triggers = async () => triggersOf([stack.model]);
  return makeTarget({
    ...awsContext,
    // The regional endpoint, not each queue URL's host (as the worker's client): the same in AWS, and
    // with AWS_ENDPOINT_URL the emulator's, whose queue URLs may name a host that does not resolve.
    sqs: explainErrors(new SQSClient({ ...clientOptions, useQueueUrlAsEndpoint: false }), awsContext),
    dynamodb: DynamoDBDocumentClient.from(explainErrors(new DynamoDBClient(clientOptions), awsContext)),
    gates,
    tasks,
    taskGates: new Map(registry.all().map((task) => [task.name, task.gate])),
    schedules: withDynamicSchedules(new AwsScheduleController(stack, explainErrors(new EventBridgeClient(clientOptions), awsContext), scheduler), dynamicScheduling, triggers),
    warnings,
    cloudwatch: explainErrors(new CloudWatchClient(clientOptions), awsContext),
    messageMoveTasks: true,
    ledgerTable: () => stack.output(outputKey('ledgerTable', identity), 'the run ledger table'),
    triggers,
    onceScheduling: () => ({
      scheduler,
      roleArn: stack.output(outputKey('onceScheduleRoleArn', identity), 'the role one-time schedules send with'),
      group: stack.output(outputKey('scheduleGroup', identity), 'the group of one-time schedules'),
    }),
    dynamicScheduling,
  });
}

interface TargetParts extends Omit<Target, 'registry' | 'gate' | 'gateOfTask'> {
  /** The app's tasks, or why they are not known (thrown only by a command that needs them). */
  readonly tasks: readonly AnyTask[] | CliError;
  readonly taskGates: ReadonlyMap<string, string>;
}

function makeTarget(parts: TargetParts): Target {
  const { tasks, taskGates, ...rest } = parts;
  const known = tasks instanceof CliError ? undefined : new TaskRegistry(tasks);
  const registry = (): TaskRegistry => {
    if (!known) throw tasks;
    return known;
  };
  const gate = (name: string): GateEndpoints => {
    const found = parts.gates.get(name);
    if (found) return found;
    const names = [...parts.gates.keys()];
    const suggestion = closest(name, names);
    throw new CliError(`no gate named "${name}" in ${parts.label}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; gates: ${names.join(', ') || 'none'}`);
  };
  return {
    ...rest,
    get registry() {
      return registry();
    },
    gate,
    gateOfTask(task: string) {
      const name = taskGates.get(task) ?? registry().find(task)?.gate;
      if (!name) throw new CliError(registry().unknownTaskMessage(task));
      return gate(name);
    },
  };
}
