import * as fs from 'node:fs';
import { ConfigurationError } from '../core/errors';
import { gateOutputKey, outputKey, type TaskgateIdentity } from '../core/outputs';
import { localConfigPath, type LocalConfig } from '../local/local-config';
import { WORKER_ENV } from '../worker/worker-env';

import { gateQueuesFromEnvironment } from '../core/gate-queues';

/** Where a client sends: each gate's task queue, and what one-time schedules (beyond 15 minutes) need. */
export interface ClientConfig {
  /** Each gate's task queue by gate name; the ARN is looked up (GetQueueAttributes) when a schedule needs it and it is absent. */
  readonly queues: Readonly<Record<string, { readonly url: string; readonly arn?: string }>>;
  /** @default - the SDK's (AWS_REGION, the profile) */
  readonly region?: string;
  /** @default - AWS's regional endpoint */
  readonly sqsEndpoint?: string;
  /** @default - AWS's regional endpoint */
  readonly schedulerEndpoint?: string;
  /** @default - the SDK's credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** The role one-time schedules send as; without it, a run more than 15 minutes ahead is refused. */
  readonly onceScheduleRoleArn?: string;
  /** The Scheduler group of one-time schedules. */
  readonly scheduleGroup?: string;
}

/** A config, or what loads one for the gates the client's tasks use. */
export type ClientConfigSource = ClientConfig | ((gates: readonly string[]) => Promise<ClientConfig>);

/**
 * The config `taskgate.grantSend(fn)` puts in a function's environment (the variables the gate
 * workers read too: the queue name prefix and bases, TASKGATE_ONCE_ROLE_ARN, TASKGATE_SCHEDULE_GROUP).
 */
function fromEnvironment(env: NodeJS.ProcessEnv = process.env): ClientConfigSource {
  return async (gates) => {
    const queues = gateQueuesFromEnvironment(gates, env, 'taskgate.grantSend(fn) in the stack (then deploy)');
    return { queues, onceScheduleRoleArn: env[WORKER_ENV.onceScheduleRoleArn], scheduleGroup: env[WORKER_ENV.scheduleGroup] };
  };
}

/** A deployed stack's outputs (DescribeStacks): what `taskgate --stack NAME` reads. Needs `cloudformation:DescribeStacks` and, for `at`, `sqs:GetQueueAttributes` (both in TaskgateOperatorPolicy). */
function fromStack(stackName: string, options: { readonly region?: string; readonly taskgate?: string } = {}): ClientConfigSource {
  return async (gates) => {
    const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
    const cloudformation = new CloudFormationClient({ region: options.region });
    try {
      const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
      const outputs = new Map((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      const identity: TaskgateIdentity | undefined = options.taskgate === undefined ? undefined : { name: options.taskgate, default: false };
      const queues: Record<string, { url: string }> = {};
      for (const gate of gates) {
        const url = outputs.get(gateOutputKey(gate, 'QueueUrl', identity));
        if (!url) throw new ConfigurationError(`stack ${stackName} has no output ${gateOutputKey(gate, 'QueueUrl', identity)} (gate ${gate}); deploy the app with these tasks, or check the stack name${options.taskgate ? ' and taskgate' : ''}`);
        queues[gate] = { url };
      }
      return {
        queues,
        region: options.region,
        onceScheduleRoleArn: outputs.get(outputKey('onceScheduleRoleArn', identity)),
        scheduleGroup: outputs.get(outputKey('scheduleGroup', identity)),
      };
    } finally {
      cloudformation.destroy();
    }
  };
}

/** The running embedded runtime (`npm start`), from its `.taskgate/local.json`. */
function fromLocal(options: { readonly projectRoot?: string; readonly file?: string; readonly taskgate?: string } = {}): ClientConfigSource {
  return async () => {
    const file = options.file ?? localConfigPath(options.projectRoot ?? process.cwd());
    let config: LocalConfig;
    try {
      config = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalConfig;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigurationError(`${file} does not exist: start the embedded runtime (npm start) in the app's folder first`);
      throw error;
    }
    const taskgate = options.taskgate === undefined ? config : config.taskgates?.[options.taskgate];
    if (!taskgate) throw new ConfigurationError(`${file} has no Taskgate ${options.taskgate}; it has ${Object.keys(config.taskgates ?? {}).join(', ') || 'one, unnamed'}`);
    return {
      queues: Object.fromEntries(Object.entries(taskgate.gates).map(([gate, queue]) => [gate, { url: queue.queueUrl }])),
      region: config.region,
      sqsEndpoint: config.sqsEndpoint,
      // The control server serves EventBridge Scheduler's API, as it does for the workers.
      schedulerEndpoint: config.ui,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      onceScheduleRoleArn: taskgate.onceScheduleRoleArn,
      scheduleGroup: taskgate.scheduleGroup,
    };
  };
}

/**
 * Where a client's config comes from: a function's environment (set by `taskgate.grantSend(fn)`),
 * a deployed stack's outputs, or the embedded runtime's local.json.
 *
 * @example
 * const client = createClient(tasks, process.env.TASKGATE_QUEUE_PREFIX ? clientConfig.fromEnvironment() : clientConfig.fromLocal());
 */
export const clientConfig = { fromEnvironment, fromStack, fromLocal };
