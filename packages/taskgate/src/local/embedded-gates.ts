import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { WORKER_ENV } from '../worker/worker-env';
import { FunctionHost } from './function-host';
import { resolveIntrinsics, type LocalResource } from './intrinsics';
import type { OnceTargetQueue } from './once-schedule-request';
import type { RuntimeOptions } from './options';
import { MappingPoller, type BatchReport } from './poller';
import { localResources, provision, type LocalQueue, type Provisioned } from './provision';
import { ledgerLookup } from './run-ledger';
import { formatLogLine, formatRunLine, runLines } from './run-log';
import { UNCAPPED_CONCURRENCY, type GateRuntime, type RuntimeOutput } from './runtime-types';
import { SDK_NODE_WARNING_OPT_OUT } from './sdk-warning';
import { functionPlacement, stackPlacement, type FunctionPlacement } from './stack-environment';
import type { AppModel, FunctionModel, MappingModel } from './template';

/** Credentials the embedded servers accept; nothing here reaches AWS. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** What starting the stacks needs: the servers, the options, and where to register what it starts. */
export interface EmbeddedContext {
  readonly sqs: SQSClient;
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
}

/** What starting the stacks built up. */
export interface EmbeddedStacks {
  readonly warnings: string[];
  /** Every local queue by `<stack>/<logical id>`. */
  readonly queueUrls: Map<string, LocalQueue>;
  readonly hosts: FunctionHost[];
  readonly gates: GateRuntime[];
  readonly ledgerTables: string[];
  /** The ledger table of the run lines ('' for none); set once every stack is read. */
  ledgerTable: string;
  /** What `taskgate trigger --at` needs for a one-time schedule, as a worker gets it. */
  onceScheduling: { scheduleGroup?: string; onceScheduleRoleArn?: string };
  /** Run lines still being printed; a stop waits for them so that no finished run goes unreported. */
  readonly printing: Set<Promise<void>>;
}

/** Provisions every stack's queues and tables, and starts a function host and a poller per event source mapping. */
export async function startStacks(models: readonly AppModel[], ctx: EmbeddedContext, gates: GateRuntime[]): Promise<EmbeddedStacks> {
  const stacks: EmbeddedStacks = { warnings: [], queueUrls: new Map(), hosts: [], gates, ledgerTables: [], ledgerTable: '', onceScheduling: {}, printing: new Set() };
  for (const model of models) await startStack(model, ctx, stacks);
  stacks.ledgerTable = stacks.ledgerTables[0] ?? '';
  if (!stacks.ledgerTable) stacks.warnings.push('the template has no ledger table (no TASKGATE_LEDGER_TABLE on a worker); runs are not recorded, and local.json has an empty ledgerTable');
  return stacks;
}

async function startStack(model: AppModel, ctx: EmbeddedContext, stacks: EmbeddedStacks): Promise<void> {
  const { sqs, dynamodb, options } = ctx;
  const { warnings, queueUrls, ledgerTables } = stacks;
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
  if (ledgerTables.length === 0 && provisioned.tables.size === 1) ledgerTables.push([...provisioned.tables.values()][0]!);
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
  const { sqs, options, out, closers } = ctx;
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
  const environment = functionEnvironment(model, fn, placement, provisioned, resource, ctx, stacks);
  const gateName = queueModel.gate ?? fn.gate ?? fn.logicalId;
  const host = startHost(model, fn, fn.assetPath, gateName, placement, environment, ctx);
  hosts.push(host);
  closers.push(() => host.close());
  const concurrency = Math.min(mapping.maxConcurrency ?? Infinity, fn.reservedConcurrency ?? Infinity);
  if (concurrency === Infinity) {
    warnings.push(`${fn.cdkPath}: no maximum concurrency or reserved concurrency; the embedded runtime runs at most ${UNCAPPED_CONCURRENCY} batches at once`);
  }
  const ledgerForBatch = (records: BatchReport['records']) => ledgerLookup(ctx.dynamodb, stacks.ledgerTable, records);
  const poller = new MappingPoller({
    sqs,
    queue,
    mapping,
    host,
    concurrency: concurrency === Infinity ? UNCAPPED_CONCURRENCY : concurrency,
    region: placement.region,
    onBatch: (report) => {
      const printed: Promise<void> = ledgerForBatch(report.records).then((ledger) => {
        for (const line of runLines(gateName, report, ledger)) out.line(formatRunLine(line));
        printing.delete(printed);
      });
      printing.add(printed);
    },
    onError: (message) => out.line(`error: ${message}`),
  });
  const dlq = queueModel.redrive ? provisioned.queues.get(queueModel.redrive.deadLetterQueue) : undefined;
  gates.push({ name: gateName, queue, deadLetterQueue: dlq, concurrency: concurrency === Infinity ? UNCAPPED_CONCURRENCY : concurrency, poller });
}

/** The function's template environment with its intrinsics resolved to local values; notes the ledger table and one-time scheduling it names. */
function functionEnvironment(
  model: AppModel,
  fn: FunctionModel,
  placement: FunctionPlacement,
  provisioned: Provisioned,
  resource: (logicalId: string) => LocalResource | undefined,
  ctx: EmbeddedContext,
  stacks: EmbeddedStacks,
): Record<string, string> {
  const { warnings, ledgerTables } = stacks;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    try {
      environment[name] = resolveIntrinsics(value, { region: placement.region, accountId: placement.accountId, stackName: model.stackName, resource });
    } catch (error) {
      warnings.push(`${fn.cdkPath}: environment variable ${name} ${(error as Error).message}; it is left unset locally`);
    }
  }
  if (environment[WORKER_ENV.scheduleGroup] && environment[WORKER_ENV.onceScheduleRoleArn] && !stacks.onceScheduling.scheduleGroup) {
    stacks.onceScheduling = { scheduleGroup: environment[WORKER_ENV.scheduleGroup], onceScheduleRoleArn: environment[WORKER_ENV.onceScheduleRoleArn] };
  }
  const ledgerRef = (fn.environment[WORKER_ENV.ledgerTable] as { Ref?: string } | undefined)?.Ref;
  if (ledgerRef && provisioned.tables.has(ledgerRef)) ledgerTables.push(provisioned.tables.get(ledgerRef)!);
  return environment;
}

/** The function's host: its bundle in worker threads, with the environment Lambda would give it. */
function startHost(
  model: AppModel,
  fn: FunctionModel,
  assetPath: string,
  gateName: string,
  placement: FunctionPlacement,
  environment: Record<string, string>,
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
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
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
