import type { SQSEvent, SQSRecord } from 'aws-lambda';

let counter = 0;

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(body: string | object, overrides: { receiveCount?: number; messageId?: string; groupId?: string; sentAt?: number } = {}): SQSRecord {
  counter += 1;
  return {
    messageId: overrides.messageId ?? `msg-${counter}`,
    receiptHandle: `handle-${counter}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(overrides.receiveCount ?? 1),
      SentTimestamp: String(overrides.sentAt ?? Date.now()),
      SenderId: 'AIDATEST',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(overrides.groupId ? { MessageGroupId: overrides.groupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:tasks',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
