export * from './ledger';
export * from './record';
export { DynamoLedger } from './dynamo-ledger';
