import * as fs from 'node:fs';
import * as path from 'node:path';
import { METADATA_KEYS, type TaskgateIdentity } from '../core/outputs';
import type { TaskMetadata } from '../core/task-metadata';
import { tickTime } from '../core/task-message';
import { WORKER_ENV } from '../worker/worker-env';
import { LOCAL_ACCOUNT_ID, type StackEnvironment } from './stack-environment';

/**
 * The parts of a synthesized CloudFormation template that the embedded runtime runs: queues,
 * workers, the mappings between them, rules and Scheduler schedules. Read from the template, never
 * from a second description of the app.
 */
export interface AppModel {
  readonly stackName: string;
  /** The account and region the stack is pinned to, when it is. */
  readonly environment: StackEnvironment;
  readonly queues: ReadonlyMap<string, QueueModel>;
  readonly functions: ReadonlyMap<string, FunctionModel>;
  readonly mappings: readonly MappingModel[];
  readonly rules: readonly TriggerModel[];
  readonly schedules: readonly TriggerModel[];
  readonly tables: ReadonlyMap<string, TableModel>;
  /** Every resource's type by logical id, for references to resources that are not emulated. */
  readonly resourceTypes: ReadonlyMap<string, string>;
  /** EventBridge Scheduler groups: each one's name (its `Name`, or `<stack>-<logicalId>`) by logical id. */
  readonly scheduleGroups: ReadonlyMap<string, string>;
  /** Resources the runtime does not emulate, each with why; printed at start, never skipped silently. */
  readonly warnings: readonly string[];
  /** Every task the gate workers run, from their `taskgate:tasks` metadata. */
  readonly tasks: readonly TaskMetadata[];
}

export interface QueueModel {
  readonly logicalId: string;
  readonly cdkPath: string;
  /** The taskgate gate this queue (or DLQ) belongs to, from the template metadata. */
  readonly gate?: string;
  /** The Taskgate it belongs to, from the template metadata; undefined in a template from before several Taskgates per stack. */
  readonly taskgate?: TaskgateIdentity;
  /** `QueueName` when the template sets one. */
  readonly queueName?: string;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly delaySeconds: number;
  readonly retentionSeconds: number;
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
}

export interface FunctionModel {
  readonly logicalId: string;
  readonly cdkPath: string;
  readonly gate?: string;
  readonly taskgate?: TaskgateIdentity;
  /** The tasks a gate's worker runs, from the template metadata. */
  readonly tasks: readonly string[];
  /** Each task's timeout in seconds, from the template metadata; empty for a function that is not a gate worker. */
  readonly taskTimeouts: ReadonlyMap<string, number>;
  /** The same tasks as the template describes them (`taskgate:tasks`). */
  readonly taskMetadata: readonly TaskMetadata[];
  /** `index.handler`: file and export inside the asset folder. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  /** `MemorySize`; undefined when the template leaves Lambda's default. */
  readonly memoryMb?: number;
  readonly reservedConcurrency?: number;
  readonly environment: Readonly<Record<string, unknown>>;
  /** The bundle's folder, from the asset metadata; undefined when bundling was skipped. */
  readonly assetPath?: string;
}

export interface MappingModel {
  readonly logicalId: string;
  readonly queue: string;
  readonly function: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
}

/** A rule or a Scheduler schedule that sends to a queue. */
export interface TriggerModel {
  readonly kind: 'rule' | 'schedule';
  readonly logicalId: string;
  /** The taskgate schedule name (`taskgate pause NAME`), or the logical id for a foreign rule. */
  readonly name: string;
  /** The task it requests, when the resource is a taskgate schedule. */
  readonly task?: string;
  readonly taskgate?: TaskgateIdentity;
  readonly cdkPath: string;
  readonly expression: string;
  readonly timeZone: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly flexibleWindowMinutes?: number;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly queue: string;
  readonly messageGroupId?: string;
  /** Builds the message body for one tick, as EventBridge or Scheduler would. */
  readonly render: (tick: Date) => string;
}

export interface TableModel {
  readonly logicalId: string;
  readonly taskgate?: TaskgateIdentity;
  /** `TableName` when the template sets one. */
  readonly tableName?: string;
  readonly keySchema: ReadonlyArray<{ AttributeName: string; KeyType: string }>;
  readonly attributeDefinitions: ReadonlyArray<{ AttributeName: string; AttributeType: string }>;
  readonly globalSecondaryIndexes: readonly object[];
  readonly localSecondaryIndexes: readonly object[];
  readonly ttlAttribute?: string;
}

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** Resource types that need no emulation: they only matter in AWS (permissions, logs, metadata). */
const IGNORED_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::Logs::LogGroup',
  'AWS::CDK::Metadata',
  'AWS::Lambda::Permission',
  'AWS::CloudWatch::Dashboard',
  'AWS::CloudWatch::Alarm',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SSM::Parameter',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::Scheduler::ScheduleGroup',
]);

/** A CloudFormation template as parsed JSON; only its resources are read. */
export interface TemplateDocument {
  readonly Resources?: Record<string, Resource>;
}

export function readTemplate(templateFile: string, stackName: string, environment: StackEnvironment = {}): AppModel {
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as TemplateDocument;
  return modelFromTemplate(template, stackName, path.dirname(templateFile), environment);
}

/** The secrets workers sign webhooks with: the embedded runtime stands in for them with a local file (see webhook-secrets.ts). */
function signingSecretIds(resources: Readonly<Record<string, { Type: string; Properties?: Record<string, unknown> }>>): Set<string> {
  const ids = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    const ref = (variables?.[WORKER_ENV.signingSecretArn] as { Ref?: unknown } | undefined)?.Ref;
    if (typeof ref === 'string') ids.add(ref);
  }
  return ids;
}

/**
 * The model of a parsed template: a synthesized one (`outdir` resolves the asset folders) or a
 * deployed one from CloudFormation's GetTemplate (no outdir: the bundles are not on this machine).
 */
export function modelFromTemplate(template: TemplateDocument, stackName: string, outdir?: string, environment: StackEnvironment = {}): AppModel {
  const resources = template.Resources ?? {};
  const queues = new Map<string, QueueModel>();
  const functions = new Map<string, FunctionModel>();
  const tables = new Map<string, TableModel>();
  const mappings: MappingModel[] = [];
  const rules: TriggerModel[] = [];
  const schedules: TriggerModel[] = [];
  const warnings: string[] = [];
  const cdkPath = (id: string) => String(resources[id]?.Metadata?.['aws:cdk:path'] ?? id);
  const meta = (id: string, key: string) => {
    const value = resources[id]?.Metadata?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  const taskgate = (id: string) => identity(resources[id]?.Metadata?.[METADATA_KEYS.taskgate]);
  const signingSecrets = signingSecretIds(resources);

  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SQS::Queue': {
        const redrive = p.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: number } | undefined;
        queues.set(id, {
          logicalId: id,
          cdkPath: cdkPath(id),
          gate: meta(id, METADATA_KEYS.gate),
          taskgate: taskgate(id),
          queueName: typeof p.QueueName === 'string' ? p.QueueName : undefined,
          fifo: p.FifoQueue === true,
          contentBasedDeduplication: p.ContentBasedDeduplication === true,
          visibilityTimeoutSeconds: Number(p.VisibilityTimeout ?? 30),
          delaySeconds: Number(p.DelaySeconds ?? 0),
          retentionSeconds: Number(p.MessageRetentionPeriod ?? 345_600),
          redrive: redrive ? { deadLetterQueue: refTarget(redrive.deadLetterTargetArn, id), maxReceiveCount: Number(redrive.maxReceiveCount) } : undefined,
        });
        break;
      }
      case 'AWS::Lambda::Function': {
        const assetDir = resource.Metadata?.['aws:asset:path'];
        const taskMetadata = taskList(resource.Metadata?.[METADATA_KEYS.tasks]);
        functions.set(id, {
          logicalId: id,
          cdkPath: cdkPath(id),
          gate: meta(id, METADATA_KEYS.gate),
          taskgate: taskgate(id),
          tasks: taskMetadata.map((task) => task.name),
          taskMetadata,
          taskTimeouts: new Map(taskMetadata.map((task) => [task.name, task.timeoutSeconds])),
          handler: String(p.Handler ?? 'index.handler'),
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMb: p.MemorySize === undefined ? undefined : Number(p.MemorySize),
          reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
          environment: ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}),
          assetPath: typeof assetDir === 'string' && outdir !== undefined ? path.resolve(outdir, assetDir) : undefined,
        });
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
        mappings.push({
          logicalId: id,
          queue: refTarget(p.EventSourceArn, id),
          function: refTarget(p.FunctionName, id),
          batchSize: Number(p.BatchSize ?? 10),
          maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
          maxConcurrency: scaling?.MaximumConcurrency,
          reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
          enabled: p.Enabled !== false,
        });
        break;
      }
      case 'AWS::Events::Rule': {
        if (typeof p.ScheduleExpression !== 'string') {
          warnings.push(`${cdkPath(id)}: an event-pattern rule; the embedded runtime fires only scheduled rules`);
          break;
        }
        for (const [index, target] of ((p.Targets as Array<Record<string, unknown>> | undefined) ?? []).entries()) {
          const queue = sqsTarget(target.Arn, resources);
          if (!queue) {
            warnings.push(`${cdkPath(id)}: target ${index + 1} is not an SQS queue of this stack; it is not fired locally`);
            continue;
          }
          rules.push({
            kind: 'rule',
            logicalId: id,
            name: meta(id, METADATA_KEYS.schedule) ?? id,
            task: meta(id, METADATA_KEYS.task),
            taskgate: taskgate(id),
            cdkPath: cdkPath(id),
            expression: p.ScheduleExpression,
            timeZone: 'UTC',
            enabled: p.State !== 'DISABLED',
            description: p.Description as string | undefined,
            queue,
            messageGroupId: (target.SqsParameters as { MessageGroupId?: string } | undefined)?.MessageGroupId,
            render: ruleRenderer(target, `${cdkPath(id)} target ${index + 1}`, environment),
          });
        }
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const target = (p.Target ?? {}) as Record<string, unknown>;
        const queue = sqsTarget(target.Arn, resources);
        if (!queue) {
          warnings.push(`${cdkPath(id)}: its target is not an SQS queue of this stack; it is not fired locally`);
          break;
        }
        const window = p.FlexibleTimeWindow as { Mode?: string; MaximumWindowInMinutes?: number } | undefined;
        const input = typeof target.Input === 'string' ? target.Input : '{}';
        schedules.push({
          kind: 'schedule',
          logicalId: id,
          name: meta(id, METADATA_KEYS.schedule) ?? id,
          task: meta(id, METADATA_KEYS.task),
          taskgate: taskgate(id),
          cdkPath: cdkPath(id),
          expression: String(p.ScheduleExpression),
          timeZone: String(p.ScheduleExpressionTimezone ?? 'UTC'),
          enabled: p.State !== 'DISABLED',
          description: p.Description as string | undefined,
          flexibleWindowMinutes: window?.Mode === 'FLEXIBLE' ? Number(window.MaximumWindowInMinutes) : undefined,
          startDate: p.StartDate as string | undefined,
          endDate: p.EndDate as string | undefined,
          queue,
          messageGroupId: (target.SqsParameters as { MessageGroupId?: string } | undefined)?.MessageGroupId,
          // Scheduler substitutes its context attributes as raw text inside the input.
          render: (tick) => input.replaceAll('<aws.scheduler.scheduled-time>', tickTime(tick)),
        });
        break;
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        tables.set(id, {
          logicalId: id,
          taskgate: taskgate(id),
          tableName: typeof p.TableName === 'string' ? p.TableName : undefined,
          keySchema: (p.KeySchema as TableModel['keySchema']) ?? [],
          attributeDefinitions: (p.AttributeDefinitions as TableModel['attributeDefinitions']) ?? [],
          globalSecondaryIndexes: (p.GlobalSecondaryIndexes as object[]) ?? [],
          localSecondaryIndexes: (p.LocalSecondaryIndexes as object[]) ?? [],
          ttlAttribute: (p.TimeToLiveSpecification as { AttributeName?: string } | undefined)?.AttributeName,
        });
        break;
      }
      default:
        if (!IGNORED_TYPES.has(resource.Type) && !signingSecrets.has(id)) warnings.push(`${cdkPath(id)}: ${resource.Type} is not emulated by the embedded runtime`);
    }
  }
  const resourceTypes = new Map(Object.entries(resources).map(([id, resource]) => [id, resource.Type]));
  const scheduleGroups = new Map(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::Scheduler::ScheduleGroup')
      .map(([id, resource]) => [id, typeof resource.Properties?.Name === 'string' ? resource.Properties.Name : `${stackName}-${id}`]),
  );
  const tasks = [...functions.values()].flatMap((fn) => fn.taskMetadata);
  return { stackName, environment, queues, functions, mappings, rules, schedules, tables, resourceTypes, scheduleGroups, warnings, tasks };
}

/** A resource's `taskgate:taskgate` metadata, when it is one. */
function identity(value: unknown): TaskgateIdentity | undefined {
  const candidate = value as Partial<TaskgateIdentity> | undefined;
  return typeof candidate?.name === 'string' && typeof candidate.default === 'boolean' ? { name: candidate.name, default: candidate.default } : undefined;
}

/** A worker's `taskgate:tasks` metadata: one description per task it runs. */
function taskList(value: unknown): TaskMetadata[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item: unknown): item is TaskMetadata => item !== null && typeof item === 'object' && typeof (item as TaskMetadata).name === 'string');
}


/** The logical id behind `{Ref: X}` or `{Fn::GetAtt: [X, attr]}`. */
function refTarget(value: unknown, owner: string): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  const target = v?.Ref ?? v?.['Fn::GetAtt']?.[0];
  if (!target) throw new Error(`${owner}: expected a reference to a resource of this stack, got ${JSON.stringify(value)}`);
  return target;
}

function sqsTarget(arn: unknown, resources: Record<string, Resource>): string | undefined {
  const target = (arn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  return target && resources[target]?.Type === 'AWS::SQS::Queue' ? target : undefined;
}

/** EventBridge's Input, InputPath and InputTransformer, for a scheduled event at `tick`. */
function ruleRenderer(target: Record<string, unknown>, where: string, environment: StackEnvironment): (tick: Date) => string {
  const transformer = target.InputTransformer as { InputPathsMap?: Record<string, string>; InputTemplate?: string } | undefined;
  if (typeof target.Input === 'string') {
    const fixed = target.Input;
    return () => fixed;
  }
  return (tick) => {
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: environment.account ?? LOCAL_ACCOUNT_ID,
      time: tickTime(tick),
      region: environment.region ?? 'us-east-1',
      resources: [],
      detail: {},
    };
    if (!transformer) return JSON.stringify(event);
    let body = transformer.InputTemplate ?? '';
    for (const [name, jsonPath] of Object.entries(transformer.InputPathsMap ?? {})) {
      const value = jsonPath
        .replace(/^\$\.?/, '')
        .split('.')
        .filter(Boolean)
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
      if (value === undefined) throw new Error(`${where}: input path ${jsonPath} is not in a scheduled event`);
      // A string value goes in as a JSON string, as EventBridge does for a placeholder outside quotes.
      body = body.replaceAll(`<${name}>`, typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value));
    }
    return body;
  };
}
