import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LEDGER_SCHEMA } from '../worker/ledger/record';

export interface LedgerProps {
  /**
   * What happens to the table (and its run history) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection: the table cannot be deleted until this is turned off.
   * @default - true when the removal policy is RETAIN, false otherwise
   */
  readonly deletionProtection?: boolean;
}

/** Claim and record runs, read a run, page history: an app's own function's; a gate's worker gets less ({@link Ledger.grantWorker}). No Scan, no deletes. */
const READ_WRITE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'];
/**
 * What a gate's worker sends to the ledger table, and no more (test/worker-role-policy.test.ts
 * records its calls): it claims, records and reads runs, task leases and its rate bucket with
 * conditional UpdateItem and consistent GetItem, and never queries the indexes.
 */
const WORKER_LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;
/** A rate gate's worker starts its idle bucket afresh with one conditional PutItem of that item. */
const WORKER_BUCKET_ACTIONS = ['dynamodb:PutItem'] as const;
/** What the CLI and operators need: a run, and history by task or by day. */
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'];

/**
 * The run ledger: one DynamoDB item per run, laid out per `LEDGER_SCHEMA`, with history indexes by
 * task and by day, a TTL that expires old runs, point-in-time recovery and encryption at rest.
 *
 * @example
 * const ledger = new Ledger(this, 'Ledger');
 * ledger.grantWorker(gate.worker);
 */
export class Ledger extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: LedgerProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: string(LEDGER_SCHEMA.partitionKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: LEDGER_SCHEMA.ttlAttribute,
      deletionProtection: props.deletionProtection ?? removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    const indexes = [
      [LEDGER_SCHEMA.byTaskIndex, LEDGER_SCHEMA.byTaskPartitionKey, LEDGER_SCHEMA.byTaskSortKey],
      [LEDGER_SCHEMA.byDayIndex, LEDGER_SCHEMA.byDayPartitionKey, LEDGER_SCHEMA.byDaySortKey],
    ] as const;
    for (const [indexName, partitionKey, sortKey] of indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: string(partitionKey),
        sortKey: string(sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** The table and its indexes, as IAM resources. */
  get resourceArns(): string[] {
    return [this.table.tableArn, `${this.table.tableArn}/index/*`];
  }

  /**
   * Lets a gate's worker do what its code does: GetItem and UpdateItem on the table (runs, task
   * leases, the rate bucket), no index; with `rateBucketKey` (a rate gate), PutItem of that one
   * item only (`dynamodb:LeadingKeys`).
   */
  grantWorker(grantee: iam.IGrantable, options: { readonly rateBucketKey?: string } = {}): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [...WORKER_LEDGER_ACTIONS], resourceArns: [this.table.tableArn] });
    if (options.rateBucketKey === undefined) return grant;
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: [...WORKER_BUCKET_ACTIONS],
        resourceArns: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [options.rateBucketKey] } },
      }),
    );
  }

  /** Lets a function claim and record runs and page history: Get/Put/UpdateItem and Query on the table and its indexes; no Scan, no deletes. */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_WRITE_ACTIONS, resourceArns: this.resourceArns });
  }

  /** Lets an operator or the CLI read runs and history. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_ACTIONS, resourceArns: this.resourceArns });
  }
}
