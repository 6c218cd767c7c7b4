import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { UiRoutes } from '../ui/server';
import { RuntimeClock } from './clock';
import { startControlServer } from './control-server';
import { LOCAL_CREDENTIALS, startStacks, type EmbeddedContext, type EmbeddedStacks } from './embedded-gates';
import { localConfigOf, localTaskgates } from './local-config';
import { writeConfig } from './local-json';
import type { OnceTargetQueue } from './once-schedule-request';
import { OnceSchedules } from './once-schedules';
import type { RuntimeOptions } from './options';
import type { ApiRouter } from '../api/router';
import { runtimeApi } from './runtime-api';
import { controlTarget } from './runtime-control';
import { runtimeUi } from './runtime-ui';
import { buildScheduler, clock, onceName, queueSender, startSchedules } from './runtime-schedules';
import { type GateRuntime, type LocalRuntime, type RuntimeOutput, type StopSummary } from './runtime-types';
import type { Scheduler } from './scheduler';
import { LOCAL_ACCOUNT_ID } from './stack-environment';
import { receiveClient } from './receive-client';
import { startDynamoDbServer, startSqsServer } from './servers';
import type { StateDirLock } from './state-lock';
import { appTaskgates } from './taskgates';
import type { AppModel } from './template';

/**
 * The embedded target: servers first (a taken port fails before the synth), then the control
 * server (the workers' Scheduler endpoint), the synth, the stacks, the schedules and local.json.
 */
export async function startEmbedded(
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
    const servers = await startServers(options, closers);
    // The control server is the workers' Scheduler endpoint too, so it starts before them.
    let scheduler: Scheduler | undefined;
    const gates: GateRuntime[] = [];
    const onceQueues = new Map<string, OnceTargetQueue>();
    const scheduleGroups: string[] = [];
    // One clock for the template's schedules and the one-time ones, so `--speed` means the same to both.
    const runtimeClock = new RuntimeClock(options.speed);
    const onceSchedules = startOnceSchedules(runtimeClock, servers.sqs, onceQueues, scheduleGroups, options, out);
    closers.push(async () => onceSchedules.stop());
    let ui: UiRoutes | undefined;
    let api: ApiRouter | undefined;
    const control = await startControlServer(controlTarget(() => scheduler!, () => gates, servers.sqs, onceSchedules, () => ui, () => api), {
      port: options.uiPort,
      flag: '--ui-port',
      envVar: 'TASKGATE_UI_PORT',
      what: 'control server',
    });
    closers.push(() => control.close());

    // After the ports, so that a taken port fails at once, not after the synth.
    const models = await synth();
    const taskgates = appTaskgates(models);
    const endpoints = { sqs: servers.sqsEndpoint, dynamodb: servers.dynamodbEndpoint, scheduler: control.endpoint };
    const scheduleClock = runtimeClock.speed === 1 ? undefined : runtimeClock.workerClock();
    const context: EmbeddedContext = { sqs: servers.sqs, receiver: servers.receiver, dynamodb: servers.dynamodb, endpoints, options, out, closers, onceQueues, scheduleGroups, taskgates, stateDir, scheduleClock };
    const stacks = await startStacks(models, context, gates);
    scheduler = buildScheduler(models, taskgates, stacks.queueUrls, runtimeClock, out, queueSender(servers.sqs));
    stacks.warnings.push(...scheduler.warnings);

    await Promise.all(stacks.hosts.map((host) => host.warm()));
    for (const gate of gates) gate.poller!.start();

    const config = localConfigOf(
      { region: options.region, sqsEndpoint: servers.sqsEndpoint, dynamodbEndpoint: servers.dynamodbEndpoint, ui: control.endpoint, token: control.token },
      localTaskgates(taskgates, gates, stacks.queueUrls, stacks.found),
    );
    const configFile = writeConfig(projectRoot, stateDir, lock, options, config);
    ui = runtimeUi(configFile, scheduler, onceSchedules, control.token);
    if (taskgates[0] && config.ledgerTable) {
      const served = runtimeApi({ ...servers, region: options.region, schedulerEndpoint: control.endpoint, taskgate: taskgates[0], local: config, gates, out });
      closers.push(async () => served.close());
      api = served.router;
    }
    startSchedules(scheduler, options);

    const finalScheduler = scheduler;
    const stop = async (): Promise<StopSummary> => {
      finalScheduler.stop();
      onceSchedules.stop();
      const summary = await drain(stacks, servers.sqs, options);
      await closeAll();
      lock.release();
      return summary;
    };
    const requestCounts = async () => ({ sqs: await servers.sqsServer.requestCounts(), dynamodb: await servers.dynamoServer.requestCounts() });
    return { config, configFile, models, gates, scheduler, warnings: stacks.warnings, requestCounts, stop, release: () => lock.release() };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The embedded SQS and DynamoDB servers, and a client of each. */
async function startServers(options: RuntimeOptions, closers: Array<() => Promise<void>>) {
  const sqsServer = await startSqsServer({ port: options.sqsPort, flag: '--sqs-port', envVar: 'TASKGATE_SQS_PORT', what: 'embedded SQS server' });
  closers.push(() => sqsServer.close());
  const dynamoServer = await startDynamoDbServer({
    port: options.dynamodbPort,
    flag: '--dynamodb-port',
    envVar: 'TASKGATE_DYNAMODB_PORT',
    what: 'embedded DynamoDB server',
  });
  closers.push(() => dynamoServer.close());
  // The pollers' client for deletes and visibility changes (receives go through `receiver`), and the
  // runtime's own sends. The resolved middleware stack is kept per
  // command instead of being built at each call (7% of the main thread's CPU in a profiled drain); no
  // command of this client adds middleware of its own. Not the DynamoDB client: the document
  // client's commands do.
  const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: options.region, credentials: LOCAL_CREDENTIALS, cacheMiddleware: true });
  const receiver = receiveClient(sqsServer.endpoint, options.region);
  const dynamodb = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
  closers.push(async () => {
    sqs.destroy();
    receiver.destroy();
    dynamodb.destroy();
  });
  return { sqs, receiver, dynamodb, sqsEndpoint: sqsServer.endpoint, dynamodbEndpoint: dynamoServer.endpoint, sqsServer, dynamoServer };
}

/** The Scheduler API's one-time schedules, printing a line when each is armed and fired. */
function startOnceSchedules(
  runtimeClock: RuntimeClock,
  sqs: SQSClient,
  onceQueues: ReadonlyMap<string, OnceTargetQueue>,
  scheduleGroups: readonly string[],
  options: RuntimeOptions,
  out: RuntimeOutput,
): OnceSchedules {
  return new OnceSchedules({
    region: options.region,
    accountId: LOCAL_ACCOUNT_ID,
    clock: runtimeClock,
    groups: () => scheduleGroups,
    queue: (arn) => onceQueues.get(arn),
    queueArns: () => [...onceQueues.keys()],
    send: queueSender(sqs),
    onArm: (schedule, realDelayMs) =>
      out.line(`${clock()}  once ${onceName(schedule)} → ${schedule.oneTime.queue}  at ${schedule.next}  fires in ${(realDelayMs / 1000).toFixed(1)}s${options.speed === 1 ? '' : ` (speed ${options.speed})`}`),
    onFire: (schedule, queue, messageId) =>
      out.line(
        schedule.expression.startsWith('at(')
          ? `${clock()}  fire ${onceName(schedule)} (one-time) → ${queue.name}  at ${schedule.expression}  message ${messageId}`
          : `${clock()}  fire ${onceName(schedule)} (${schedule.expression}, created at run time) → ${queue.name}  message ${messageId}`,
      ),
    onError: (message) => out.line(`error: ${message}`),
  });
}

/** Stops the pollers (batches in flight finish or return), waits for the run lines, and counts each queue's messages. */
async function drain(stacks: EmbeddedStacks, sqs: SQSClient, options: RuntimeOptions): Promise<StopSummary> {
  const returned = (await Promise.all(stacks.gates.map((gate) => gate.poller!.stop(options.drainSeconds * 1000)))).reduce((a, b) => a + b, 0);
  await Promise.all(stacks.printing);
  const queues = await Promise.all(
    [...new Set(stacks.queueUrls.values())].map(async (queue) => {
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
  return { returned, queues };
}
