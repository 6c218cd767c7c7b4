import * as fs from 'node:fs';
import * as path from 'node:path';
import { METADATA_KEYS, type TaskgateIdentity } from '../core/outputs';
import type { TaskMetadata } from '../core/task-metadata';
import { assemblyNestedTemplates, inlineNestedStacks } from './nested-stacks';
import { WORKER_ENV } from '../worker/worker-env';
import type { RateLimit } from '../worker/rate/rate-limit';
import type { StackEnvironment } from './stack-environment';
import { TemplateContext, functionModel, mappingModel, queueModel, ruleTriggers, scheduleTrigger, tableModel } from './template-readers';

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
  /** The groups of schedules created at run time (`taskgate:dynamic-schedules` metadata): each one's name and Taskgate. */
  readonly dynamicScheduleGroups: ReadonlyArray<{ readonly name: string; readonly taskgate?: TaskgateIdentity }>;
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
  /** A gate worker's rate, from the template metadata (`taskgate:rate`). */
  readonly rate?: RateLimit;
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
  const outdir = path.dirname(templateFile);
  return modelFromTemplate(inlineNestedStacks(template, assemblyNestedTemplates(outdir)), stackName, outdir, environment);
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
  const ctx = new TemplateContext(resources, environment, outdir);
  const queues = new Map<string, QueueModel>();
  const functions = new Map<string, FunctionModel>();
  const tables = new Map<string, TableModel>();
  const mappings: MappingModel[] = [];
  const rules: TriggerModel[] = [];
  const schedules: TriggerModel[] = [];
  const warnings: string[] = [];
  const signingSecrets = signingSecretIds(resources);

  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        queues.set(id, queueModel(id, p, ctx));
        break;
      case 'AWS::Lambda::Function':
        functions.set(id, functionModel(id, resource, ctx));
        break;
      case 'AWS::Lambda::EventSourceMapping':
        mappings.push(mappingModel(id, p));
        break;
      case 'AWS::Events::Rule':
        rules.push(...ruleTriggers(id, p, ctx, warnings));
        break;
      case 'AWS::Scheduler::Schedule': {
        const schedule = scheduleTrigger(id, p, ctx, warnings);
        if (schedule) schedules.push(schedule);
        break;
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        tables.set(id, tableModel(id, p, ctx));
        break;
      default:
        // A gate's signing secret is read from the state folder; the request API's routes are the control server's (runtime-api.ts).
        if (!IGNORED_TYPES.has(resource.Type) && !signingSecrets.has(id) && resource.Metadata?.[METADATA_KEYS.api] !== true) {
          warnings.push(`${ctx.cdkPath(id)}: ${resource.Type} is not emulated by the embedded runtime`);
        }
    }
  }
  const resourceTypes = new Map(Object.entries(resources).map(([id, resource]) => [id, resource.Type]));
  const scheduleGroups = new Map(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::Scheduler::ScheduleGroup')
      .map(([id, resource]) => [id, typeof resource.Properties?.Name === 'string' ? resource.Properties.Name : `${stackName}-${id}`]),
  );
  const dynamicScheduleGroups = [...scheduleGroups]
    .filter(([id]) => resources[id]?.Metadata?.[METADATA_KEYS.dynamicSchedules] === true)
    .map(([id, name]) => ({ name, ...(ctx.taskgate(id) ? { taskgate: ctx.taskgate(id) } : {}) }));
  const tasks = [...functions.values()].flatMap((fn) => fn.taskMetadata);
  return { stackName, environment, queues, functions, mappings, rules, schedules, tables, resourceTypes, scheduleGroups, dynamicScheduleGroups, warnings, tasks };
}
