/** The SQS API the worker calls, the one module it loads lazily (sqs-lazy.ts): a bundle keeps only these of the client. */
export { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
