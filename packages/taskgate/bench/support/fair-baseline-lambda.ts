import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { fairBaselineHandler } from './fair-baseline';

/** The fair baseline as a Lambda entry: its idempotency records in DynamoDB, as taskgate's ledger is. */
export const handler = fairBaselineHandler(new DynamoDBPersistenceLayer({ tableName: process.env.IDEMPOTENCY_TABLE ?? 'idempotency' }));
