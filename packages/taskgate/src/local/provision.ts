import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalResource } from './intrinsics';
import type { AppModel, QueueModel, TableModel } from './template';

/** A queue created on the embedded server. */
export interface LocalQueue {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/** What provisioning made: the local queues and tables, by logical id, and what it had to warn about. */
export interface Provisioned {
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /** Local table names by logical id. */
  readonly tables: ReadonlyMap<string, string>;
  readonly warnings: readonly string[];
}

/** SQS caps queue names at 80 characters, `.fifo` included. */
const MAX_QUEUE_NAME = 80;
const TABLE_KEYS = ['IndexName', 'KeySchema', 'Projection', 'ProvisionedThroughput'] as const;

/** The local name of a queue: its QueueName, or `<stack>-<logicalId>` as CloudFormation would start it. */
export function localQueueName(stackName: string, queue: QueueModel): string {
  if (queue.queueName) return queue.queueName;
  const suffix = queue.fifo ? '.fifo' : '';
  return `${stackName}-${queue.logicalId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX_QUEUE_NAME - suffix.length) + suffix;
}

export function localTableName(stackName: string, table: TableModel): string {
  return table.tableName ?? `${stackName}-${table.logicalId}`;
}

/**
 * Creates the template's queues and tables on the embedded servers: dead-letter queues first, so a
 * redrive policy can point at them.
 */
export async function provision(model: AppModel, sqs: SQSClient, dynamodb: DynamoDBClient): Promise<Provisioned> {
  const queues = new Map<string, LocalQueue>();
  const warnings: string[] = [];
  const pending = [...model.queues.values()];
  while (pending.length > 0) {
    const ready = pending.findIndex((queue) => !queue.redrive || queues.has(queue.redrive.deadLetterQueue));
    if (ready < 0) throw new Error(`queues ${pending.map((q) => q.cdkPath).join(', ')} have redrive policies that point at each other or at no queue of this stack`);
    const queue = pending.splice(ready, 1)[0]!;
    queues.set(queue.logicalId, await createQueue(model.stackName, queue, queues, sqs));
  }
  const tables = new Map<string, string>();
  for (const table of model.tables.values()) {
    const name = localTableName(model.stackName, table);
    await dynamodb.send(new CreateTableCommand(tableInput(name, table)));
    if (table.ttlAttribute) {
      try {
        await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true } }));
      } catch (error) {
        if ((error as Error).name !== 'UnknownOperationException') throw error;
        warnings.push(`${table.logicalId}: the embedded DynamoDB does not expire items (no TTL); records stay until the runtime stops`);
      }
    }
    tables.set(table.logicalId, name);
  }
  return { queues, tables, warnings };
}

async function createQueue(stackName: string, queue: QueueModel, created: ReadonlyMap<string, LocalQueue>, sqs: SQSClient): Promise<LocalQueue> {
  const name = localQueueName(stackName, queue);
  const attributes: Record<string, string> = {
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    DelaySeconds: String(queue.delaySeconds),
    MessageRetentionPeriod: String(queue.retentionSeconds),
  };
  if (queue.fifo) {
    attributes.FifoQueue = 'true';
    attributes.ContentBasedDeduplication = String(queue.contentBasedDeduplication);
  }
  if (queue.redrive) {
    const dlq = created.get(queue.redrive.deadLetterQueue)!;
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queue.redrive.maxReceiveCount });
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { logicalId: queue.logicalId, name, url: QueueUrl!, arn: Attributes!.QueueArn! };
}

function tableInput(name: string, table: TableModel): CreateTableCommandInput {
  // Only the fields CreateTable takes; CloudFormation-only ones (contributor insights, warm throughput) are dropped.
  const index = (gsi: object) =>
    Object.fromEntries(Object.entries(gsi).filter(([key]) => (TABLE_KEYS as readonly string[]).includes(key))) as never;
  return {
    TableName: name,
    KeySchema: table.keySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: table.attributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: 'PAY_PER_REQUEST',
    ...(table.globalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes: table.globalSecondaryIndexes.map(index) } : {}),
    ...(table.localSecondaryIndexes.length > 0 ? { LocalSecondaryIndexes: table.localSecondaryIndexes.map(index) } : {}),
  };
}

/**
 * The local stand-in of every resource, for the function environments: queues and tables are real
 * on the embedded servers; anything else (a role, a schedule group) gets a name and an ARN in the
 * shape AWS would give, so that code which only passes them along keeps working.
 */
export function localResources(model: AppModel, provisioned: Provisioned, region: string, accountId: string): (logicalId: string) => LocalResource | undefined {
  return (logicalId): LocalResource | undefined => {
    const queue = provisioned.queues.get(logicalId);
    if (queue) return { ref: queue.url, attributes: { Arn: queue.arn, QueueUrl: queue.url, QueueName: queue.name } };
    const table = provisioned.tables.get(logicalId);
    if (table) {
      const arn = `arn:aws:dynamodb:${region}:${accountId}:table/${table}`;
      return { ref: table, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } };
    }
    const type = model.resourceTypes.get(logicalId);
    if (!type) return undefined;
    // A group's Ref is its Name, which one-time schedules name (the embedded Scheduler API checks it).
    const name = model.scheduleGroups.get(logicalId) ?? `${model.stackName}-${logicalId}`;
    const [, service = 'unknown', kind = 'resource'] = type.split('::').map((part) => part.toLowerCase());
    const arn =
      service === 'iam'
        ? `arn:aws:iam::${accountId}:${kind}/${name}`
        : service === 'lambda' && kind === 'function'
          ? `arn:aws:lambda:${region}:${accountId}:function:${name}`
          : `arn:aws:${service}:${region}:${accountId}:${kind}/${name}`;
    return { ref: service === 'iam' || service === 'lambda' || service === 'scheduler' || service === 'logs' ? name : arn, attributes: { Arn: arn, Name: name } };
  };
}
