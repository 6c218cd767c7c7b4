import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readRateUsage } from '../cli/rate-usage';
import type { RateLimit } from '../worker/rate/rate-limit';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlBase } from '../core/queue-address';
import { EMBEDDED_EXECUTION_ENV, WORKER_ENV } from '../worker/worker-env';
import { FunctionHost } from './function-host';
import { resolveIntrinsics, type LocalResource } from './intrinsics';
import type { TaskgateFound } from './local-config';
import type { OnceTargetQueue } from './once-schedule-request';
import type { RuntimeOptions } from './options';
import { MappingPoller, type BatchReport } from './poller';
import { localResources, provision, type LocalQueue, type Provisioned } from './provision';
import { RunLedgerReader } from './run-ledger';
import { formatLogLine, formatRunLine, runLines } from './run-log';
import { UNCAPPED_CONCURRENCY, type GateRuntime, type RuntimeOutput } from './runtime-types';
import { SDK_NODE_WARNING_OPT_OUT } from './sdk-warning';
import { functionPlacement, stackPlacement, type FunctionPlacement } from './stack-environment';
import { stallLimit, stallWarnings } from './stall';
import { qualifiedName, taskgateOf, type AppTaskgate } from './taskgates';
import { localSigningSecret, webhookUrlOverrides } from './webhook-secrets';
import type { AppModel, FunctionModel, MappingModel } from './template';

/** Credentials the embedded servers accept; nothing here reaches AWS. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** What starting the stacks needs: the servers, the options, and where to register what it starts. */
export interface EmbeddedContext {
  readonly sqs: SQSClient;
  /** The pollers' receives: a client that tries once (receive-client.ts). */
  readonly receiver: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string; readonly scheduler: string };
  readonly options: RuntimeOptions;
  readonly out: RuntimeOutput;
  /** Called in reverse order when the runtime stops or fails to start. */
  readonly closers: Array<() => Promise<void>>;
  /** The queues one-time schedules can target, by ARN. */
  readonly onceQueues: Map<string, OnceTargetQueue>;
  /** The template's schedule groups. */
  readonly scheduleGroups: string[];
  /** The app's Taskgates, the first first. */
  readonly taskgates: readonly AppTaskgate[];
  /** The schedules' clock, which workers compare ticks with (TASKGATE_SCHEDULE_CLOCK at --speed other than 1). */
  readonly scheduleClock?: string;
  /** The state folder (absolute): local stand-ins such as webhook secrets live under it. */
  readonly stateDir: string;
}

/** What starting the stacks built up. */
export interface EmbeddedStacks {
  readonly warnings: string[];
  /** Every local queue by `<stack>/<logical id>`. */
  readonly queueUrls: Map<string, LocalQueue>;
  readonly hosts: FunctionHost[];
  readonly gates: GateRuntime[];
  /** Each Taskgate's ledger and what `taskgate trigger --at` needs for a one-time schedule, as its workers get them. */
  readonly found: Map<string, TaskgateFound>;
  /** Run lines still being printed; a stop waits for them so that no finished run goes unreported. */
  readonly printing: Set<Promise<void>>;
  /** The run lines' reader of each ledger table, shared by the gates that write it. */
  readonly ledgerReaders: Map<string, RunLedgerReader>;
}

/** Provisions every stack's queues and tables, and starts a function host and a poller per event source mapping. */
export async function startStacks(models: readonly AppModel[], ctx: EmbeddedContext, gates: GateRuntime[]): Promise<EmbeddedStacks> {
  const stacks: EmbeddedStacks = { warnings: [], queueUrls: new Map(), hosts: [], gates, found: new Map(), printing: new Set(), ledgerReaders: new Map() };
  for (const model of models) await startStack(model, ctx, stacks);
  if (!stacks.found.get(ctx.taskgates[0]?.key ?? '')?.ledgerTable) {
    stacks.warnings.push('the template has no ledger table (no TASKGATE_LEDGER_TABLE on a worker); runs are not recorded, and local.json has an empty ledgerTable');
  }
  return stacks;
}

async function startStack(model: AppModel, ctx: EmbeddedContext, stacks: EmbeddedStacks): Promise<void> {
  const { sqs, dynamodb, options } = ctx;
  const { warnings, queueUrls, found } = stacks;
  warnings.push(...model.warnings);
  const provisioned = await provision(model, sqs, dynamodb);
  warnings.push(...provisioned.warnings);
  for (const [id, queue] of provisioned.queues) {
    queueUrls.set(`${model.stackName}/${id}`, queue);
    ctx.onceQueues.set(queue.arn, { name: queue.name, url: queue.url, fifo: Boolean(model.queues.get(id)?.fifo) });
  }
  const { region, accountId } = stackPlacement(model, options.region);
  const resource = localResources(model, provisioned, region, accountId);
  ctx.scheduleGroups.push(...model.scheduleGroups.values());
  for (const mapping of model.mappings) startGate(model, mapping, provisioned, resource, ctx, stacks);
  for (const taskgate of ctx.taskgates.filter((t) => t.stackName === model.stackName && !found.has(t.key) && t.model.tables.size === 1)) {
    const table = provisioned.tables.get([...taskgate.model.tables.keys()][0]!);
    if (table) found.set(taskgate.key, { ledgerTable: table });
  }
}

/** One event source mapping: its function in a host, and a poller feeding it; or a warning why not. */
function startGate(
  model: AppModel,
  mapping: MappingModel,
  provisioned: Provisioned,
  resource: (logicalId: string) => LocalResource | undefined,
  ctx: EmbeddedContext,
  stacks: EmbeddedStacks,
): void {
  const { sqs, receiver, options, out, closers } = ctx;
  const { warnings, hosts, gates, printing } = stacks;
  const fn = model.functions.get(mapping.function);
  const queue = provisioned.queues.get(mapping.queue);
  const queueModel = model.queues.get(mapping.queue);
  if (!fn || !queue || !queueModel) {
    warnings.push(`${mapping.logicalId}: its event source or function is not an SQS queue and a function of this stack; it is not polled`);
    return;
  }
  if (!mapping.enabled) {
    warnings.push(`${fn.cdkPath}: its event source mapping is disabled in the template; ${queue.name} is not polled`);
    return;
  }
  if (!fn.assetPath) {
    warnings.push(`${fn.cdkPath}: the template has no bundle for it (synthesized without bundling?); ${queue.name} is not polled`);
    return;
  }
  checkSdkResolves(fn.assetPath, fn.cdkPath);
  const placement = functionPlacement(model, fn, options.region);
  const taskgate = taskgateOf(ctx.taskgates, model.stackName, fn.taskgate);
  const { environment, ledgerTable } = functionEnvironment(model, fn, placement, provisioned, resource, taskgate, stacks);
  pointQueueBasesAt(environment, queue);
  const gate = queueModel.gate ?? fn.gate ?? fn.logicalId;
  const gateName = qualifiedName(taskgate, gate);
  Object.assign(
    environment,
    webhookUrlOverrides(fn.taskMetadata, process.env),
    localSigningSecret(ctx.stateDir, gateName, gate, fn.environment, process.env, (file) => out.line(`webhook secret of gate ${gateName}: created ${file} (give its content to your local receiver)`)),
  );
  const concurrency = Math.min(mapping.maxConcurrency ?? Infinity, fn.reservedConcurrency ?? Infinity);
  if (concurrency === Infinity) {
    warnings.push(`${fn.cdkPath}: no maximum concurrency or reserved concurrency; the embedded runtime runs at most ${UNCAPPED_CONCURRENCY} batches at once`);
  }
  const concurrencyCap = concurrency === Infinity ? UNCAPPED_CONCURRENCY : concurrency;
  // As in Lambda, each batch in flight has an execution environment of its own (the host's default of 16 made a gate of 20 share four).
  const host = startHost(model, fn, fn.assetPath, gateName, placement, environment, concurrencyCap, ctx);
  hosts.push(host);
  closers.push(() => host.close());
  const poller = new MappingPoller({
    sqs,
    receiver,
    queue,
    mapping,
    host,
    concurrency: concurrencyCap,
    region: placement.region,
    onBatch: printRunLines(gateName, readerOf(stacks.ledgerReaders, ctx.dynamodb, ledgerTable ?? '', (message) => out.line(`warning: ${message}`)), out, printing),
    onError: (message) => out.line(`error: ${message}`),
    stallAfterMs: stallLimit(fn.taskTimeouts, queueModel.fifo),
    onStall: (records, limitMs) => stallWarnings(gateName, records, limitMs).forEach((line) => out.line(line)),
  });
  const dlq = queueModel.redrive ? provisioned.queues.get(queueModel.redrive.deadLetterQueue) : undefined;
  gates.push({ name: gateName, gate, taskgate: taskgate?.key, queue, deadLetterQueue: dlq, concurrency: concurrencyCap, ...rateOf(fn.rate, ctx.dynamodb, ledgerTable, gate), poller });
}

/** A batch's run lines, printed once the ledger's record of its runs is read; a stop waits for them in `printing`. */
function printRunLines(gateName: string, reader: RunLedgerReader, out: RuntimeOutput, printing: Set<Promise<void>>): (report: BatchReport) => void {
  return (report) => {
    const printed: Promise<void> = reader.lookup(report.records).then((ledger) => {
      for (const line of runLines(gateName, report, ledger)) out.line(formatRunLine(line));
      printing.delete(printed);
    });
    printing.add(printed);
  };
}

/** The run lines' reader of one ledger table, made at its first gate. */
function readerOf(readers: Map<string, RunLedgerReader>, dynamodb: DynamoDBClient, table: string, onReadError: (message: string) => void): RunLedgerReader {
  let reader = readers.get(table);
  if (!reader) readers.set(table, (reader = new RunLedgerReader(dynamodb, table, onReadError)));
  return reader;
}

/** A rate gate's rate and the reader of its bucket, for the gates' status API. */
function rateOf(rate: RateLimit | undefined, dynamodb: DynamoDBClient, table: string | undefined, gate: string): Pick<GateRuntime, 'rate' | 'rateUsage'> {
  if (!rate) return {};
  if (!table) return { rate };
  const documents = DynamoDBDocumentClient.from(dynamodb);
  return { rate, rateUsage: async () => (await readRateUsage(documents, table, [{ name: gate, rate }])).get(gate)! };
}

/**
 * The function's template environment with its intrinsics resolved to local values, and the ledger
 * table it names; notes that table and the one-time scheduling it names for its Taskgate.
 */
function functionEnvironment(
  model: AppModel,
  fn: FunctionModel,
  placement: FunctionPlacement,
  provisioned: Provisioned,
  resource: (logicalId: string) => LocalResource | undefined,
  taskgate: AppTaskgate | undefined,
  stacks: EmbeddedStacks,
): { environment: Record<string, string>; ledgerTable?: string } {
  const { warnings, found } = stacks;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    // The Secrets Manager secret has no local stand-in here; localSigningSecret gives the worker its own.
    if (name === WORKER_ENV.signingSecretArn) continue;
    try {
      environment[name] = resolveIntrinsics(value, { region: placement.region, accountId: placement.accountId, stackName: model.stackName, resource });
    } catch (error) {
      warnings.push(`${fn.cdkPath}: environment variable ${name} ${(error as Error).message}; it is left unset locally`);
    }
  }
  const ledgerRef = (fn.environment[WORKER_ENV.ledgerTable] as { Ref?: string } | undefined)?.Ref;
  const ledgerTable = ledgerRef ? provisioned.tables.get(ledgerRef) : undefined;
  if (taskgate && !found.has(taskgate.key) && ledgerTable) {
    const [scheduleGroup, onceScheduleRoleArn] = [environment[WORKER_ENV.scheduleGroup], environment[WORKER_ENV.onceScheduleRoleArn]];
    found.set(taskgate.key, { ledgerTable, ...(scheduleGroup && onceScheduleRoleArn ? { scheduleGroup, onceScheduleRoleArn } : {}) });
  }
  return { environment, ledgerTable };
}

/**
 * The worker derives every gate's queue from a base and the gate's queue name; the template's base
 * names AWS (`https://sqs.<region>.amazonaws.com/<account>/`), here it is the embedded server's,
 * taken from a queue it made (`http://sqs.<region>.localhost:PORT/<account>/`).
 */
function pointQueueBasesAt(environment: Record<string, string>, queue: LocalQueue): void {
  if (environment[WORKER_ENV.queueUrlBase] !== undefined) environment[WORKER_ENV.queueUrlBase] = queueUrlBase(queue.url);
  if (environment[WORKER_ENV.queueArnBase] !== undefined) environment[WORKER_ENV.queueArnBase] = queue.arn.slice(0, queue.arn.length - queue.name.length);
}

/** The function's host: its bundle in worker threads, with the environment Lambda would give it. */
function startHost(
  model: AppModel,
  fn: FunctionModel,
  assetPath: string,
  gateName: string,
  placement: FunctionPlacement,
  environment: Record<string, string>,
  maxEnvironments: number,
  ctx: EmbeddedContext,
): FunctionHost {
  const { options, out, endpoints } = ctx;
  const functionName = `${model.stackName}-${fn.logicalId}`.slice(0, 64);
  return new FunctionHost({
    functionName,
    assetPath,
    handler: fn.handler,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: placement.memoryMb,
    region: placement.region,
    accountId: placement.accountId,
    maxEnvironments,
    environment: {
      ...environment,
      AWS_REGION: placement.region,
      AWS_DEFAULT_REGION: placement.region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler,
      AWS_EC2_METADATA_DISABLED: 'true',
      // A thread does not read process.env: the SDK would warn about Node 20 in each one.
      ...SDK_NODE_WARNING_OPT_OUT,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(placement.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_EXECUTION_ENV: EMBEDDED_EXECUTION_ENV,
      ...(ctx.scheduleClock ? { [WORKER_ENV.scheduleClock]: ctx.scheduleClock } : {}),
    },
    onLog: (line) => {
      const text = formatLogLine(gateName, line, options.verbose);
      if (text) out.line(text);
    },
  });
}

/**
 * The bundle keeps `@aws-sdk/*` external (Lambda's runtime provides it); here Node finds it by
 * walking up from the bundle's folder to the project's node_modules, which holds only while the
 * synthesized app lies inside the project.
 */
function checkSdkResolves(assetPath: string, cdkPath: string): void {
  try {
    require.resolve('@aws-sdk/client-sqs', { paths: [assetPath] });
  } catch {
    throw new Error(
      `${cdkPath}: its bundle in ${assetPath} cannot load @aws-sdk/* (kept external, as Lambda provides it); ` +
        'keep --state-dir inside the project so Node finds the project\'s node_modules',
    );
  }
}
