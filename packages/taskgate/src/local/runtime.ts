import * as path from 'node:path';
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueEntry } from '../core/send-path';
import { LEDGER_SCHEMA, runKey } from '../worker/ledger/record';
import { SdkSendPorts } from '../worker/send-adapter';
import { WORKER_ENV } from '../worker/worker-env';
import { ControlTarget, startControlServer } from './control-server';
import { FunctionHost } from './function-host';
import { resolveIntrinsics } from './intrinsics';
import { localConfigPath, type LocalConfig } from './local-config';
import type { RuntimeOptions } from './options';
import type { OnceTargetQueue } from './once-schedule-request';
import type { OnceScheduleView } from './once-schedule-view';
import { OnceSchedules } from './once-schedules';
import { MappingPoller, type BatchReport } from './poller';
import { localResources, provision, type LocalQueue } from './provision';
import { formatLogLine, formatRunLine, runLines, type LedgerView } from './run-log';
import { RuntimeClock } from './clock';
import { Scheduler } from './scheduler';
import { startDynamoDbServer, startSqsServer, type EmbeddedServer } from './servers';
import { SDK_NODE_WARNING_OPT_OUT } from './sdk-warning';
import { StateDirLock } from './state-lock';
import { synthesize } from './synth';
import { readTemplate, type AppModel, type TriggerModel } from './template';

export const LOCAL_ACCOUNT_ID = '000000000000';
/** Credentials the embedded servers accept; nothing here reaches AWS. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Batches at once for a mapping with neither maximum concurrency nor reserved concurrency. */
const UNCAPPED_CONCURRENCY = 10;

export interface GateRuntime {
  readonly name: string;
  readonly queue: LocalQueue;
  readonly deadLetterQueue?: LocalQueue;
  readonly concurrency: number;
  readonly poller?: MappingPoller;
}

/** A started runtime: where everything is, and how to stop it. */
export interface LocalRuntime {
  readonly config: LocalConfig;
  readonly configFile: string;
  readonly models: readonly AppModel[];
  readonly gates: readonly GateRuntime[];
  readonly scheduler: Scheduler;
  readonly warnings: readonly string[];
  /** Stops cleanly: schedules, then pollers (batches in flight finish or return), then servers; then {@link release}. */
  stop(): Promise<StopSummary>;
  /**
   * Removes the files this runtime wrote (local.json, the state dir's lock) if they are still its
   * own. Synchronous, for a quit without {@link stop}; idempotent.
   */
  release(): void;
}

export interface StopSummary {
  /** Messages of batches still running at the drain deadline, made visible again. */
  readonly returned: number;
  /** Each queue's messages when the runtime stopped (embedded target only). */
  readonly queues: ReadonlyArray<{ readonly name: string; readonly visible: number; readonly inFlight: number; readonly delayed: number }>;
}

export interface RuntimeOutput {
  line(text: string): void;
}

/**
 * The embedded runtime behind `taskgate dev`: everything docs/architecture.md's embedded-runtime section describes, read
 * from the synthesized template.
 */
export async function startRuntime(projectRoot: string, options: RuntimeOptions, out: RuntimeOutput): Promise<LocalRuntime> {
  const stateDir = path.resolve(projectRoot, options.stateDir);
  // First: a second runtime on this state dir would overwrite the first's cdk.out and local.json.
  const lock = StateDirLock.acquire(stateDir, options.stateDir);
  out.line(`taskgate: starting; synthesizing the app${options.app ? ` (${options.app})` : ''}...`);
  const synth = async () => {
    const assembly = await synthesize(projectRoot, path.join(stateDir, 'cdk.out'), options.app);
    return assembly.stacks.map((stack) => readTemplate(stack.templateFile, stack.name));
  };
  try {
    return options.target === 'localstack'
      ? await startLocalStackScheduler(projectRoot, stateDir, lock, await synth(), options, out)
      : await startEmbedded(projectRoot, stateDir, lock, synth, options, out);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startEmbedded(
  projectRoot: string,
  stateDir: string,
  lock: StateDirLock,
  synth: () => Promise<AppModel[]>,
  options: RuntimeOptions,
  out: RuntimeOutput,
): Promise<LocalRuntime> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const sqsServer = await startSqsServer({ port: options.sqsPort, flag: '--sqs-port', envVar: 'TASKGATE_SQS_PORT', what: 'embedded SQS server' });
    closers.push(() => sqsServer.close());
    const dynamoServer = await startDynamoDbServer({
      port: options.dynamodbPort,
      flag: '--dynamodb-port',
      envVar: 'TASKGATE_DYNAMODB_PORT',
      what: 'embedded DynamoDB server',
    });
    closers.push(() => dynamoServer.close());
    const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
    const dynamodb = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
    closers.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
    });

    // The control server is the workers' Scheduler endpoint too, so it starts before them.
    let scheduler: Scheduler | undefined;
    let gates: GateRuntime[] = [];
    const onceQueues = new Map<string, OnceTargetQueue>();
    const scheduleGroups: string[] = [];
    // One clock for the template's schedules and the one-time ones, so `--speed` means the same to both.
    const runtimeClock = new RuntimeClock(options.speed);
    const onceSchedules = new OnceSchedules({
      region: options.region,
      accountId: LOCAL_ACCOUNT_ID,
      clock: runtimeClock,
      groups: () => scheduleGroups,
      queue: (arn) => onceQueues.get(arn),
      queueArns: () => [...onceQueues.keys()],
      send: queueSender(sqs),
      onArm: (schedule, realDelayMs) =>
        out.line(`${clock()}  once ${onceName(schedule)} → ${schedule.oneTime.queue}  at ${schedule.next}  fires in ${(realDelayMs / 1000).toFixed(1)}s${options.speed === 1 ? '' : ` (speed ${options.speed})`}`),
      onFire: (schedule, queue, messageId) => out.line(`${clock()}  fire ${onceName(schedule)} (one-time) → ${queue.name}  at ${schedule.expression}  message ${messageId}`),
      onError: (message) => out.line(`error: ${message}`),
    });
    closers.push(async () => onceSchedules.stop());
    const control = await startControlServer(controlTarget(() => scheduler!, () => gates, sqs, onceSchedules), {
      port: options.uiPort,
      flag: '--ui-port',
      envVar: 'TASKGATE_UI_PORT',
      what: 'control server',
    });
    closers.push(() => control.close());

    // After the ports, so that a taken port fails at once, not after the synth.
    const models = await synth();
    const warnings: string[] = [];
    const queueUrls = new Map<string, LocalQueue>();
    const hosts: FunctionHost[] = [];
    const ledgerTables: string[] = [];
    let ledgerTable = '';
    // What `taskgate trigger --at` needs for a one-time schedule, as a worker gets it.
    let onceScheduling: { scheduleGroup?: string; onceScheduleRoleArn?: string } = {};
    const ledgerForBatch = (records: BatchReport['records']) => ledgerLookup(dynamodb, ledgerTable, records);
    // Run lines still being printed; a stop waits for them so that no finished run goes unreported.
    const printing = new Set<Promise<void>>();
    for (const model of models) {
      warnings.push(...model.warnings);
      const provisioned = await provision(model, sqs, dynamodb);
      warnings.push(...provisioned.warnings);
      for (const [id, queue] of provisioned.queues) {
        queueUrls.set(`${model.stackName}/${id}`, queue);
        onceQueues.set(queue.arn, { name: queue.name, url: queue.url, fifo: Boolean(model.queues.get(id)?.fifo) });
      }
      const resource = localResources(model, provisioned, options.region, LOCAL_ACCOUNT_ID);
      scheduleGroups.push(...model.scheduleGroups.values());
      for (const mapping of model.mappings) {
        const fn = model.functions.get(mapping.function);
        const queue = provisioned.queues.get(mapping.queue);
        const queueModel = model.queues.get(mapping.queue);
        if (!fn || !queue || !queueModel) {
          warnings.push(`${mapping.logicalId}: its event source or function is not an SQS queue and a function of this stack; it is not polled`);
          continue;
        }
        if (!mapping.enabled) {
          warnings.push(`${fn.cdkPath}: its event source mapping is disabled in the template; ${queue.name} is not polled`);
          continue;
        }
        if (!fn.assetPath) {
          warnings.push(`${fn.cdkPath}: the template has no bundle for it (synthesized without bundling?); ${queue.name} is not polled`);
          continue;
        }
        checkSdkResolves(fn.assetPath, fn.cdkPath);
        const environment: Record<string, string> = {};
        for (const [name, value] of Object.entries(fn.environment)) {
          try {
            environment[name] = resolveIntrinsics(value, { region: options.region, accountId: LOCAL_ACCOUNT_ID, stackName: model.stackName, resource });
          } catch (error) {
            warnings.push(`${fn.cdkPath}: environment variable ${name} ${(error as Error).message}; it is left unset locally`);
          }
        }
        if (environment[WORKER_ENV.scheduleGroup] && environment[WORKER_ENV.onceScheduleRoleArn] && !onceScheduling.scheduleGroup) {
          onceScheduling = { scheduleGroup: environment[WORKER_ENV.scheduleGroup], onceScheduleRoleArn: environment[WORKER_ENV.onceScheduleRoleArn] };
        }
        const ledgerRef = (fn.environment[WORKER_ENV.ledgerTable] as { Ref?: string } | undefined)?.Ref;
        if (ledgerRef && provisioned.tables.has(ledgerRef)) ledgerTables.push(provisioned.tables.get(ledgerRef)!);
        const functionName = `${model.stackName}-${fn.logicalId}`.slice(0, 64);
        const gateName = queueModel.gate ?? fn.gate ?? fn.logicalId;
        const host = new FunctionHost({
          functionName,
          assetPath: fn.assetPath,
          handler: fn.handler,
          timeoutSeconds: fn.timeoutSeconds,
          memoryMb: 256,
          region: options.region,
          accountId: LOCAL_ACCOUNT_ID,
          environment: {
            ...environment,
            AWS_REGION: options.region,
            AWS_DEFAULT_REGION: options.region,
            AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
            AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
            AWS_ENDPOINT_URL_DYNAMODB: dynamoServer.endpoint,
            AWS_ENDPOINT_URL_SCHEDULER: control.endpoint,
            AWS_EC2_METADATA_DISABLED: 'true',
            // A thread does not read process.env: the SDK would warn about Node 20 in each one.
            ...SDK_NODE_WARNING_OPT_OUT,
            AWS_LAMBDA_FUNCTION_NAME: functionName,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
            AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
            AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
          },
          onLog: (line) => {
            const text = formatLogLine(gateName, line, options.verbose);
            if (text) out.line(text);
          },
        });
        hosts.push(host);
        closers.push(() => host.close());
        const concurrency = Math.min(mapping.maxConcurrency ?? Infinity, fn.reservedConcurrency ?? Infinity);
        if (concurrency === Infinity) {
          warnings.push(`${fn.cdkPath}: no maximum concurrency or reserved concurrency; the embedded runtime runs at most ${UNCAPPED_CONCURRENCY} batches at once`);
        }
        const poller = new MappingPoller({
          sqs,
          queue,
          mapping,
          host,
          concurrency: concurrency === Infinity ? UNCAPPED_CONCURRENCY : concurrency,
          region: options.region,
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
      if (ledgerTables.length === 0 && provisioned.tables.size === 1) ledgerTables.push([...provisioned.tables.values()][0]!);
    }
    ledgerTable = ledgerTables[0] ?? '';
    if (!ledgerTable) warnings.push('the template has no ledger table (no TASKGATE_LEDGER_TABLE on a worker); runs are not recorded, and local.json has an empty ledgerTable');

    scheduler = buildScheduler(models, queueUrls, runtimeClock, out, queueSender(sqs));
    warnings.push(...scheduler.warnings);

    await Promise.all(hosts.map((host) => host.warm()));
    for (const gate of gates) gate.poller!.start();

    const config: LocalConfig = {
      region: options.region,
      sqsEndpoint: sqsServer.endpoint,
      dynamodbEndpoint: dynamoServer.endpoint,
      ledgerTable,
      ui: control.endpoint,
      ...gatesAndTasks(models, gates, queueUrls),
      ...onceScheduling,
    };
    const configFile = writeConfig(projectRoot, stateDir, lock, options, config);
    startSchedules(scheduler, options);

    const finalScheduler = scheduler;
    return {
      config,
      configFile,
      models,
      gates,
      scheduler,
      warnings,
      stop: async () => {
        finalScheduler.stop();
        onceSchedules.stop();
        const returned = (await Promise.all(gates.map((gate) => gate.poller!.stop(options.drainSeconds * 1000)))).reduce((a, b) => a + b, 0);
        await Promise.all(printing);
        const queues = await Promise.all(
          [...new Set(queueUrls.values())].map(async (queue) => {
            const { Attributes = {} } = await sqs.send(
              new GetQueueAttributesCommand({
                QueueUrl: queue.url,
                AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
              }),
            );
            return {
              name: queue.name,
              visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
              inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
              delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
            };
          }),
        );
        await closeAll();
        lock.release();
        return { returned, queues };
      },
      release: () => lock.release(),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * `--target localstack`: the app runs in LocalStack (deployed with `npm run local:deploy`), which
 * stores EventBridge Scheduler schedules without firing them; this fires every schedule into
 * LocalStack's queues, found from the deployed stack's resources.
 */
async function startLocalStackScheduler(
  projectRoot: string,
  stateDir: string,
  lock: StateDirLock,
  models: AppModel[],
  options: RuntimeOptions,
  out: RuntimeOutput,
): Promise<LocalRuntime> {
  const endpoint = options.localstackEndpoint;
  const clientConfig = { endpoint, region: options.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const cloudformation = new CloudFormationClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const queueUrls = new Map<string, LocalQueue>();
  const gates: GateRuntime[] = [];
  let ledgerTable = '';
  for (const model of models) {
    const physical = new Map<string, string>();
    try {
      for await (const page of paginateListStackResources({ client: cloudformation }, { StackName: model.stackName })) {
        for (const resource of page.StackResourceSummaries ?? []) physical.set(resource.LogicalResourceId!, resource.PhysicalResourceId!);
      }
    } catch (error) {
      throw new Error(`stack ${model.stackName} is not deployed on LocalStack at ${endpoint} (${(error as Error).message}); run \`npm run local:deploy\` first`);
    }
    for (const queue of model.queues.values()) {
      const url = physical.get(queue.logicalId);
      if (!url) throw new Error(`queue ${queue.cdkPath} is not in the deployed stack ${model.stackName}; redeploy with \`npm run local:deploy\``);
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
      queueUrls.set(`${model.stackName}/${queue.logicalId}`, { logicalId: queue.logicalId, name: url.split('/').pop()!, url, arn: Attributes?.QueueArn ?? '' });
    }
    for (const mapping of model.mappings) {
      const queueModel = model.queues.get(mapping.queue);
      const fn = model.functions.get(mapping.function);
      const queue = queueUrls.get(`${model.stackName}/${mapping.queue}`);
      if (!queueModel || !queue) continue;
      const dlq = queueModel.redrive ? queueUrls.get(`${model.stackName}/${queueModel.redrive.deadLetterQueue}`) : undefined;
      const concurrency = Math.min(mapping.maxConcurrency ?? Infinity, fn?.reservedConcurrency ?? Infinity);
      gates.push({ name: queueModel.gate ?? fn?.gate ?? mapping.function, queue, deadLetterQueue: dlq, concurrency: concurrency === Infinity ? UNCAPPED_CONCURRENCY : concurrency });
    }
    for (const table of model.tables.values()) ledgerTable ||= physical.get(table.logicalId) ?? '';
  }
  let scheduler: Scheduler | undefined;
  const control = await startControlServer(controlTarget(() => scheduler!, () => gates, sqs), {
    port: options.uiPort,
    flag: '--ui-port',
    envVar: 'TASKGATE_UI_PORT',
    what: 'control server',
  });
  scheduler = buildScheduler(models, queueUrls, new RuntimeClock(options.speed), out, queueSender(sqs));
  const config: LocalConfig = {
    region: options.region,
    sqsEndpoint: endpoint,
    dynamodbEndpoint: endpoint,
    ledgerTable,
    ui: control.endpoint,
    ...gatesAndTasks(models, gates, queueUrls),
  };
  const configFile = writeConfig(projectRoot, stateDir, lock, options, config);
  startSchedules(scheduler, options);
  const finalScheduler = scheduler;
  return {
    config,
    configFile,
    models,
    gates,
    scheduler,
    warnings: [...models.flatMap((model) => model.warnings), ...scheduler.warnings],
    stop: async () => {
      finalScheduler.stop();
      await control.close();
      sqs.destroy();
      cloudformation.destroy();
      lock.release();
      return { returned: 0, queues: [] };
    },
    release: () => lock.release(),
  };
}

/** The send path's SQS adapter, one message at a time: how the runtime's schedules deliver. */
function queueSender(sqs: SQSClient): (queueUrl: string, entry: QueueEntry) => Promise<string> {
  const ports = new SdkSendPorts({ sqs });
  return async (queueUrl, entry) => (await ports.sendMessages(queueUrl, [entry]))[0]!;
}

function buildScheduler(
  models: AppModel[],
  queueUrls: ReadonlyMap<string, LocalQueue>,
  clock: RuntimeClock,
  out: RuntimeOutput,
  send: (queueUrl: string, entry: QueueEntry) => Promise<string>,
): Scheduler {
  const stackOf = new Map<TriggerModel, AppModel>();
  for (const model of models) for (const trigger of [...model.rules, ...model.schedules]) stackOf.set(trigger, model);
  const queueOf = (trigger: TriggerModel) => queueUrls.get(`${stackOf.get(trigger)!.stackName}/${trigger.queue}`)!;
  return new Scheduler({
    triggers: [...stackOf.keys()],
    clock,
    needsDeduplicationId: (trigger) => {
      const queue = stackOf.get(trigger)!.queues.get(trigger.queue);
      return Boolean(queue?.fifo && !queue.contentBasedDeduplication);
    },
    send: (trigger, entry) => send(queueOf(trigger).url, entry),
    onFire: (trigger, tick, messageId, manual) =>
      out.line(`${new Date().toTimeString().slice(0, 8)}  fire ${trigger.name} → ${queueOf(trigger).name}  tick ${tick.toISOString()}${manual ? ' (fired by hand)' : ''}  message ${messageId}`),
    onError: (message) => out.line(`error: ${message}`),
  });
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** A one-time schedule's name in run lines: `group/name`, or the bare name in the default group. */
function onceName(schedule: OnceScheduleView): string {
  return schedule.oneTime.group === 'default' ? schedule.name : `${schedule.oneTime.group}/${schedule.name}`;
}

function startSchedules(scheduler: Scheduler, options: RuntimeOptions): void {
  const names = scheduler.names();
  const fireNow = options.fireNow.includes('all') ? names : options.fireNow;
  for (const name of fireNow) {
    if (!names.includes(name)) throw new Error(`--fire-now ${name}: no schedule has that name; schedules: ${names.join(', ') || 'none'}`);
  }
  if (options.paused) for (const name of names) scheduler.pause(name);
  scheduler.start();
  for (const name of fireNow) void scheduler.fire(name);
}

function controlTarget(scheduler: () => Scheduler, gates: () => readonly GateRuntime[], sqs: SQSClient, onceSchedules?: OnceSchedules): ControlTarget {
  return {
    onceSchedules,
    list: () => [...scheduler().list(), ...(onceSchedules?.views() ?? [])],
    pause: (name) => scheduler().pause(name),
    resume: (name) => scheduler().resume(name),
    fire: (name) => scheduler().fire(name),
    names: () => scheduler().names(),
    gates: async () =>
      Promise.all(
        gates().map(async (gate) => {
          const { Attributes = {} } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: gate.queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
          );
          return {
            name: gate.name,
            concurrency: gate.concurrency,
            queueUrl: gate.queue.url,
            dlqUrl: gate.deadLetterQueue?.url ?? null,
            visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
            inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
            peakBatchesInFlight: gate.poller?.peakInFlight ?? null,
          };
        }),
      ),
  };
}

/** local.json's `gates` and `tasks`, the same for the embedded and the LocalStack target. */
function gatesAndTasks(models: AppModel[], gates: readonly GateRuntime[], queueUrls: ReadonlyMap<string, LocalQueue>): Pick<LocalConfig, 'gates' | 'tasks'> {
  return {
    gates: Object.fromEntries(gates.map((gate) => [gate.name, { queueUrl: gate.queue.url, dlqUrl: gate.deadLetterQueue?.url ?? '', concurrency: gate.concurrency }])),
    tasks: tasksOf(models, (trigger) => gates.find((gate) => gate.queue === queueUrls.get(`${trigger.stack}/${trigger.queue}`))?.name),
  };
}

/**
 * task → gate: every gate worker's `taskgate:tasks` metadata, and for a template without it, the
 * schedules' `taskgate:task` metadata and their target queue's gate.
 */
function tasksOf(models: AppModel[], gateOf: (trigger: TriggerModel & { stack: string }) => string | undefined): Record<string, string> {
  const tasks: Record<string, string> = {};
  for (const model of models) {
    for (const fn of model.functions.values()) {
      for (const task of fn.gate ? fn.tasks : []) tasks[task] = fn.gate!;
    }
    for (const trigger of [...model.rules, ...model.schedules]) {
      const gate = gateOf({ ...trigger, stack: model.stackName });
      if (trigger.task && gate) tasks[trigger.task] = gate;
    }
  }
  return tasks;
}

function writeConfig(projectRoot: string, stateDir: string, lock: StateDirLock, options: RuntimeOptions, config: LocalConfig): string {
  // The default state dir is where the CLI looks (README, Run it locally); another --state-dir keeps its own.
  const file = options.stateDir === '.taskgate' ? localConfigPath(projectRoot) : path.join(stateDir, 'local.json');
  lock.write(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
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

/** The ledger's record of each run of a batch, for the run lines. */
async function ledgerLookup(dynamodb: DynamoDBClient, table: string, records: BatchReport['records']): Promise<Map<string, LedgerView>> {
  const found = new Map<string, LedgerView>();
  if (!table) return found;
  const keys = new Set<string>();
  for (const record of records) {
    try {
      const body = JSON.parse(record.body) as { task?: unknown; id?: unknown };
      if (typeof body.task === 'string') keys.add(runKey(body.task, typeof body.id === 'string' ? body.id : record.messageId));
    } catch {
      // Not JSON: it has no ledger record.
    }
  }
  if (keys.size === 0) return found;
  try {
    const { Responses } = await dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: [...keys].map((pk) => ({ [LEDGER_SCHEMA.partitionKey]: { S: pk } })),
            ProjectionExpression: 'pk, #s, durationMs, #e, reason, startedAt',
            ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          },
        },
      }),
    );
    for (const item of Responses?.[table] ?? []) {
      found.set(item[LEDGER_SCHEMA.partitionKey]!.S!, {
        status: item.status?.S ?? '?',
        durationMs: item.durationMs?.N === undefined ? undefined : Number(item.durationMs.N),
        error: item.error?.S,
        reason: item.reason?.S,
        startedAt: item.startedAt?.S === undefined ? undefined : Date.parse(item.startedAt.S),
      });
    }
  } catch {
    // The run line falls back on the batch's outcome; the ledger is the worker's to write.
  }
  return found;
}
