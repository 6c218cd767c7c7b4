import { ConditionalCheckFailedException, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LEDGER_SCHEMA } from '../worker/ledger/record';
import { IDEMPOTENCY_HOLD_SECONDS, idempotencyRecordKey } from './idempotency-record';

export { IDEMPOTENCY_HOLD_SECONDS, IDEMPOTENCY_KEY_PREFIX, idempotencyRecordKey } from './idempotency-record';

/** One request's claim on a key. */
export interface IdempotencyClaim {
  readonly task: string;
  readonly key: string;
  readonly runId: string;
  /** A hash of what was asked (payload, timing, id): a repeat that asks something else is refused. */
  readonly fingerprint: string;
  /** Epoch ms. */
  readonly now: number;
}

export type ClaimOutcome =
  | { readonly outcome: 'claimed' }
  /**
   * The key was claimed before, for this run and request: `sent` once its message went out;
   * `claimedAt` (epoch ms) tells a request still sending from one that died before it sent.
   */
  | { readonly outcome: 'repeat'; readonly runId: string; readonly fingerprint: string; readonly sent: boolean; readonly claimedAt: number };

/** Where keys are held: DynamoDB in AWS and on the embedded server, or a test's stand-in. */
export interface IdempotencyStore {
  claim(claim: IdempotencyClaim): Promise<ClaimOutcome>;
  /** Notes that the claim's message was sent. */
  markSent(task: string, key: string, runId: string): Promise<void>;
  /** Gives a claim up (its send failed), so that a retry with the key can succeed; only if it is still this run's. */
  release(task: string, key: string, runId: string): Promise<void>;
}

/**
 * Keys held by one conditional PutItem each in the ledger table, with its TTL attribute set
 * (DynamoDB deletes the record some time after; dynalite has no TTL, so locally keys stay until the
 * runtime stops). A claim whose expiry has passed but is not yet deleted may be taken again.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async claim(claim: IdempotencyClaim): Promise<ClaimOutcome> {
    const pk = idempotencyRecordKey(claim.task, claim.key);
    // Twice at most: a record that expired or was released between the put and the read is free again.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              [LEDGER_SCHEMA.partitionKey]: pk,
              runId: claim.runId,
              fingerprint: claim.fingerprint,
              createdAt: new Date(claim.now).toISOString(),
              [LEDGER_SCHEMA.ttlAttribute]: Math.floor(claim.now / 1000) + IDEMPOTENCY_HOLD_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
            ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey, '#expiresAt': LEDGER_SCHEMA.ttlAttribute },
            ExpressionAttributeValues: { ':now': Math.floor(claim.now / 1000) },
            // A repeat learns the held claim from the refusal itself: no second round trip to read it.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'claimed' };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const held = heldClaim(error.Item);
        if (held) return held;
      }
      // Where the refusal carries no item (dynalite ignores ReturnValuesOnConditionCheckFailure): read it.
      const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { [LEDGER_SCHEMA.partitionKey]: pk }, ConsistentRead: true }));
      if (Item) return repeatOf(Item);
    }
    throw new Error(`idempotency key ${claim.key} of task ${claim.task} changed hands twice during one request; retry it`);
  }

  async markSent(task: string, key: string, runId: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LEDGER_SCHEMA.partitionKey]: idempotencyRecordKey(task, key) },
          UpdateExpression: 'SET sentAt = :now',
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: { ':now': new Date().toISOString(), ':runId': runId },
        }),
      );
    } catch (error) {
      // Expired and claimed by another request meanwhile (after 24 h): theirs stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async release(task: string, key: string, runId: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [LEDGER_SCHEMA.partitionKey]: idempotencyRecordKey(task, key) },
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: { ':runId': runId },
        }),
      );
    } catch (error) {
      // Another request holds it now (ours expired): theirs stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

type Repeat = Extract<ClaimOutcome, { outcome: 'repeat' }>;

/** The held claim as a repeat sees it, from the item read or returned. */
function repeatOf(item: Record<string, unknown>): Repeat {
  return { outcome: 'repeat', runId: String(item.runId), fingerprint: String(item.fingerprint), sent: item.sentAt !== undefined, claimedAt: Date.parse(String(item.createdAt)) };
}

/**
 * The claim a refused put returned (ALL_OLD), in DynamoDB's own attribute values: the document
 * client leaves an exception's item as it came. Undefined when the refusal carries none.
 */
function heldClaim(item: Record<string, AttributeValue> | undefined): Repeat | undefined {
  if (!item?.runId?.S) return undefined;
  return repeatOf({ runId: item.runId.S, fingerprint: item.fingerprint?.S, sentAt: item.sentAt?.S, createdAt: item.createdAt?.S });
}
