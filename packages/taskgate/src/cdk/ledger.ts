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

/** What a worker does to the ledger: claim and record runs, read a run, page history. No Scan, no deletes. */
const READ_WRITE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'];
/** What the CLI and operators need: a run, and history by task or by day. */
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'];

/**
 * The run ledger: one DynamoDB item per run, laid out per `LEDGER_SCHEMA`, with history indexes by
 * task and by day, a TTL that expires old runs, point-in-time recovery and encryption at rest.
 *
 * @example
 * const ledger = new Ledger(this, 'Ledger');
 * ledger.grantReadWrite(gate.worker);
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

  /** Lets a worker claim and record runs: Get/Put/UpdateItem and Query; no Scan, no deletes. */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_WRITE_ACTIONS, resourceArns: this.resourceArns });
  }

  /** Lets an operator or the CLI read runs and history. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_ACTIONS, resourceArns: this.resourceArns });
  }
}
