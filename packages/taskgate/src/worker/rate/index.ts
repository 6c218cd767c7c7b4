export { ATTEMPTS_ATTRIBUTE, carriedAttempts } from './wait-message';
export { BUCKET_ITEM, bucketKey, tokensInLastMinute } from './bucket-item';
export { decodeRateLimit, encodeRateLimit, rateLimitProblems, type RateLimit } from './rate-limit';
export { DynamoTokenBucket, type Reservation, type TokenBucket } from './token-bucket';
export { QueueBacklog } from './queue-backlog';
export { RateGate, type RateVerdict } from './rate-gate';
