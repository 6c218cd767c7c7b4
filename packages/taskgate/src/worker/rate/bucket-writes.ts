import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BUCKET_ITEM, epochMinute, usedAttribute } from './bucket-item';

/** A bucket whose tat is this far in the past was idle long enough that its minute counters are stale: the item is written anew. */
export const IDLE_RESET_MS = 120_000;
/**
 * Counters of these minutes back are removed at each write. A write sees its item's last write at
 * most IDLE_RESET_MS + MAX_REFILL_SECONDS (3 minutes) before, so older counters are already gone,
 * and the item keeps two minutes' counters at most.
 */
const STALE_MINUTES = [2, 3, 4, 5];

/** One reservation of `count` tokens at `now`, as one conditional write. */
export interface ReservationWrite {
  readonly tableName: string;
  readonly key: string;
  readonly now: number;
  readonly count: number;
  readonly intervalMs: number;
}

/** The item anew (absent, or idle past IDLE_RESET_MS): tat restarts at now, the counters with it. */
export function restartCommand(write: ReservationWrite): PutCommand {
  const { tableName, key, now, count, intervalMs } = write;
  return new PutCommand({
    TableName: tableName,
    Item: { pk: key, [BUCKET_ITEM.tat]: now + count * intervalMs, [usedAttribute(epochMinute(now))]: count },
    ConditionExpression: 'attribute_not_exists(pk) OR #tat < :reset',
    ExpressionAttributeNames: { '#tat': BUCKET_ITEM.tat },
    ExpressionAttributeValues: { ':reset': now - IDLE_RESET_MS },
  });
}

/** A full bucket (tat in the past, but not long): tat restarts at now + count intervals, if the stored tat is still in the past. */
export function idleCommand(write: ReservationWrite): UpdateCommand {
  const { now, count, intervalMs } = write;
  return counted(write, {
    UpdateExpression: 'SET #tat = :next',
    ConditionExpression: '#tat >= :reset AND #tat < :now',
    ExpressionAttributeValues: { ':next': now + count * intervalMs, ':reset': now - IDLE_RESET_MS, ':now': now },
  });
}

/**
 * A busy bucket: tat grows by count intervals, if the stored tat is at most `limit` (so the last
 * of the tokens is good within the horizon) and not in the past. This write commutes: workers
 * that reserve together do not refuse each other while the bucket has room for all of them.
 */
export function busyCommand(write: ReservationWrite, limit: number): UpdateCommand {
  const { now, count, intervalMs } = write;
  return counted(write, {
    UpdateExpression: 'SET #tat = #tat + :step',
    ConditionExpression: '#tat BETWEEN :now AND :limit',
    ExpressionAttributeValues: { ':step': count * intervalMs, ':now': now, ':limit': limit },
  });
}

/** The update with the minute counter added to (by the tokens taken) and older counters removed. */
function counted(write: ReservationWrite, update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, number> }): UpdateCommand {
  const minute = epochMinute(write.now);
  const old = STALE_MINUTES.map((back) => [`#old${back}`, usedAttribute(minute - back)] as const);
  return new UpdateCommand({
    TableName: write.tableName,
    Key: { pk: write.key },
    UpdateExpression: `${update.UpdateExpression}, #used = if_not_exists(#used, :zero) + :taken REMOVE ${old.map(([name]) => name).join(', ')}`,
    ConditionExpression: update.ConditionExpression,
    ExpressionAttributeNames: { '#tat': BUCKET_ITEM.tat, '#used': usedAttribute(minute), ...Object.fromEntries(old) },
    ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':zero': 0, ':taken': write.count },
    ReturnValues: 'UPDATED_NEW',
  });
}
