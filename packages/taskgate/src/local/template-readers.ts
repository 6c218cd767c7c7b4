import * as path from 'node:path';
import { METADATA_KEYS, type TaskgateIdentity } from '../core/outputs';
import type { TaskMetadata } from '../core/task-metadata';
import { tickTime } from '../core/task-message';
import { decodeRateLimit } from '../worker/rate/rate-limit';
import { LOCAL_ACCOUNT_ID, type StackEnvironment } from './stack-environment';
import type { FunctionModel, MappingModel, QueueModel, Resource, TableModel, TriggerModel } from './template';

/** What each resource's reader needs of the template around it. */
export class TemplateContext {
  constructor(
    readonly resources: Readonly<Record<string, Resource>>,
    readonly environment: StackEnvironment,
    /** The cloud assembly folder that asset paths are relative to; absent for a deployed template. */
    readonly outdir?: string,
  ) {}

  cdkPath(id: string): string {
    return String(this.resources[id]?.Metadata?.['aws:cdk:path'] ?? id);
  }

  meta(id: string, key: string): string | undefined {
    const value = this.resources[id]?.Metadata?.[key];
    return typeof value === 'string' ? value : undefined;
  }

  taskgate(id: string): TaskgateIdentity | undefined {
    return identity(this.resources[id]?.Metadata?.[METADATA_KEYS.taskgate]);
  }
}

export function queueModel(id: string, p: Record<string, unknown>, ctx: TemplateContext): QueueModel {
  const redrive = p.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: number } | undefined;
  return {
    logicalId: id,
    cdkPath: ctx.cdkPath(id),
    gate: ctx.meta(id, METADATA_KEYS.gate),
    taskgate: ctx.taskgate(id),
    queueName: typeof p.QueueName === 'string' ? p.QueueName : undefined,
    fifo: p.FifoQueue === true,
    contentBasedDeduplication: p.ContentBasedDeduplication === true,
    visibilityTimeoutSeconds: Number(p.VisibilityTimeout ?? 30),
    delaySeconds: Number(p.DelaySeconds ?? 0),
    retentionSeconds: Number(p.MessageRetentionPeriod ?? 345_600),
    redrive: redrive ? { deadLetterQueue: refTarget(redrive.deadLetterTargetArn, id), maxReceiveCount: Number(redrive.maxReceiveCount) } : undefined,
  };
}

export function functionModel(id: string, resource: Resource, ctx: TemplateContext): FunctionModel {
  const p = resource.Properties ?? {};
  const assetDir = resource.Metadata?.['aws:asset:path'];
  const taskMetadata = taskList(resource.Metadata?.[METADATA_KEYS.tasks]);
  return {
    logicalId: id,
    cdkPath: ctx.cdkPath(id),
    gate: ctx.meta(id, METADATA_KEYS.gate),
    taskgate: ctx.taskgate(id),
    tasks: taskMetadata.map((task) => task.name),
    taskMetadata,
    taskTimeouts: new Map(taskMetadata.map((task) => [task.name, task.timeoutSeconds])),
    handler: String(p.Handler ?? 'index.handler'),
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb: p.MemorySize === undefined ? undefined : Number(p.MemorySize),
    reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
    rate: decodeRateLimit(resource.Metadata?.[METADATA_KEYS.rate], `${ctx.cdkPath(id)}'s ${METADATA_KEYS.rate} metadata`),
    environment: (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
    assetPath: typeof assetDir === 'string' && ctx.outdir !== undefined ? path.resolve(ctx.outdir, assetDir) : undefined,
  };
}

export function mappingModel(id: string, p: Record<string, unknown>): MappingModel {
  const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  return {
    logicalId: id,
    queue: refTarget(p.EventSourceArn, id),
    function: refTarget(p.FunctionName, id),
    batchSize: Number(p.BatchSize ?? 10),
    maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
    maxConcurrency: scaling?.MaximumConcurrency,
    reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
    enabled: p.Enabled !== false,
  };
}

/** A scheduled rule's triggers, one per SQS target of this stack; what is not fired locally goes to `warnings`. */
export function ruleTriggers(id: string, p: Record<string, unknown>, ctx: TemplateContext, warnings: string[]): TriggerModel[] {
  if (typeof p.ScheduleExpression !== 'string') {
    warnings.push(`${ctx.cdkPath(id)}: an event-pattern rule; the embedded runtime fires only scheduled rules`);
    return [];
  }
  const expression = p.ScheduleExpression;
  const triggers: TriggerModel[] = [];
  for (const [index, target] of ((p.Targets as Array<Record<string, unknown>> | undefined) ?? []).entries()) {
    const queue = sqsTarget(target.Arn, ctx.resources);
    if (!queue) {
      warnings.push(`${ctx.cdkPath(id)}: target ${index + 1} is not an SQS queue of this stack; it is not fired locally`);
      continue;
    }
    triggers.push({
      kind: 'rule',
      logicalId: id,
      name: ctx.meta(id, METADATA_KEYS.schedule) ?? id,
      task: ctx.meta(id, METADATA_KEYS.task),
      taskgate: ctx.taskgate(id),
      cdkPath: ctx.cdkPath(id),
      expression,
      timeZone: 'UTC',
      enabled: p.State !== 'DISABLED',
      description: p.Description as string | undefined,
      queue,
      messageGroupId: (target.SqsParameters as { MessageGroupId?: string } | undefined)?.MessageGroupId,
      render: ruleRenderer(target, `${ctx.cdkPath(id)} target ${index + 1}`, ctx.environment),
    });
  }
  return triggers;
}

/** A Scheduler schedule's trigger, or undefined (with a warning) when its target is not an SQS queue of this stack. */
export function scheduleTrigger(id: string, p: Record<string, unknown>, ctx: TemplateContext, warnings: string[]): TriggerModel | undefined {
  const target = (p.Target ?? {}) as Record<string, unknown>;
  const queue = sqsTarget(target.Arn, ctx.resources);
  if (!queue) {
    warnings.push(`${ctx.cdkPath(id)}: its target is not an SQS queue of this stack; it is not fired locally`);
    return undefined;
  }
  const window = p.FlexibleTimeWindow as { Mode?: string; MaximumWindowInMinutes?: number } | undefined;
  const input = typeof target.Input === 'string' ? target.Input : '{}';
  return {
    kind: 'schedule',
    logicalId: id,
    name: ctx.meta(id, METADATA_KEYS.schedule) ?? id,
    task: ctx.meta(id, METADATA_KEYS.task),
    taskgate: ctx.taskgate(id),
    cdkPath: ctx.cdkPath(id),
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
  };
}

export function tableModel(id: string, p: Record<string, unknown>, ctx: TemplateContext): TableModel {
  return {
    logicalId: id,
    taskgate: ctx.taskgate(id),
    tableName: typeof p.TableName === 'string' ? p.TableName : undefined,
    keySchema: (p.KeySchema as TableModel['keySchema']) ?? [],
    attributeDefinitions: (p.AttributeDefinitions as TableModel['attributeDefinitions']) ?? [],
    globalSecondaryIndexes: (p.GlobalSecondaryIndexes as object[]) ?? [],
    localSecondaryIndexes: (p.LocalSecondaryIndexes as object[]) ?? [],
    ttlAttribute: (p.TimeToLiveSpecification as { AttributeName?: string } | undefined)?.AttributeName,
  };
}

/** A resource's `taskgate:taskgate` metadata, when it is one. */
export function identity(value: unknown): TaskgateIdentity | undefined {
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
