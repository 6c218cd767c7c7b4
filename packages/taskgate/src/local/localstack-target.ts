import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RuntimeClock } from './clock';
import { startControlServer } from './control-server';
import { gatesAndTasks, writeConfig } from './local-json';
import type { LocalConfig } from './local-config';
import type { RuntimeOptions } from './options';
import type { LocalQueue } from './provision';
import { controlTarget } from './runtime-control';
import { buildScheduler, queueSender, startSchedules } from './runtime-schedules';
import { UNCAPPED_CONCURRENCY, type GateRuntime, type LocalRuntime, type RuntimeOutput } from './runtime-types';
import type { Scheduler } from './scheduler';
import type { StateDirLock } from './state-lock';
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
