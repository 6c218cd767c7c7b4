import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { UiRoutes } from '../ui/server';
import { RuntimeClock } from './clock';
import { startControlServer } from './control-server';
import { localConfigOf, localTaskgates, type TaskgateFound } from './local-config';
import { writeConfig } from './local-json';
import type { RuntimeOptions } from './options';
import type { LocalQueue } from './provision';
import { controlTarget } from './runtime-control';
import { runtimeUi } from './runtime-ui';
import { buildScheduler, queueSender, startSchedules } from './runtime-schedules';
import { UNCAPPED_CONCURRENCY, type GateRuntime, type LocalRuntime, type RuntimeOutput } from './runtime-types';
import type { Scheduler } from './scheduler';
import type { StateDirLock } from './state-lock';
import { appTaskgates, qualifiedName, taskgateOf } from './taskgates';
import type { AppModel } from './template';

/**
 * `--target localstack`: the app runs in LocalStack (deployed with `npm run local:deploy`), which
 * stores EventBridge Scheduler schedules without firing them; this fires every schedule into
 * LocalStack's queues, found from the deployed stack's resources.
 */
export async function startLocalStackScheduler(
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
  const taskgates = appTaskgates(models);
  const found = new Map<string, TaskgateFound>();
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
      const taskgate = taskgateOf(taskgates, model.stackName, fn?.taskgate ?? queueModel.taskgate);
      const gate = queueModel.gate ?? fn?.gate ?? mapping.function;
      gates.push({ name: qualifiedName(taskgate, gate), gate, taskgate: taskgate?.key, queue, deadLetterQueue: dlq, concurrency: concurrency === Infinity ? UNCAPPED_CONCURRENCY : concurrency, ...(fn?.rate ? { rate: fn.rate } : {}) });
    }
    for (const taskgate of taskgates.filter((t) => t.stackName === model.stackName)) {
      const table = [...taskgate.model.tables.values()].map((t) => physical.get(t.logicalId)).find(Boolean);
      if (table) found.set(taskgate.key, { ledgerTable: table });
    }
  }
  let scheduler: Scheduler | undefined;
  let ui: UiRoutes | undefined;
  const control = await startControlServer(controlTarget(() => scheduler!, () => gates, sqs, undefined, () => ui), {
    port: options.uiPort,
    flag: '--ui-port',
    envVar: 'TASKGATE_UI_PORT',
    what: 'control server',
  });
  scheduler = buildScheduler(models, taskgates, queueUrls, new RuntimeClock(options.speed), out, queueSender(sqs));
  const config = localConfigOf(
    { region: options.region, sqsEndpoint: endpoint, dynamodbEndpoint: endpoint, ui: control.endpoint, token: control.token },
    localTaskgates(taskgates, gates, queueUrls, found),
  );
  const configFile = writeConfig(projectRoot, stateDir, lock, options, config);
  ui = runtimeUi(configFile, scheduler, undefined, control.token);
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
