import type { SQSRecord } from 'aws-lambda';
import type { Envelope } from '../../core/envelope';
import { queueEntry, type SendPorts } from '../../core/send-path';
import { taskMessageBody } from '../../core/task-message';

/**
 * The message attribute that carries a run's attempts across a re-send for the rate gate: SQS's
 * receive count starts again at 1 on the new message, so the worker adds this to it.
 */
export const ATTEMPTS_ATTRIBUTE = 'taskgate.attempts';

/** Attempts a record's run had made before it was last re-sent to wait for the gate (0 for a message never re-sent). */
export function carriedAttempts(record: SQSRecord): number {
  const value = Number(record.messageAttributes?.[ATTEMPTS_ATTRIBUTE]?.stringValue ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** This delivery's attempt of its run: the attempts carried by a re-send, plus the receives of this message. */
export function attemptOf(record: SQSRecord): number {
  return carriedAttempts(record) + (Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1);
}

/**
 * Sends a run's message again with a delay, to wait for the gate's next token: the same task,
 * payload, run id, scheduledAt and source, so the ledger sees one run, and the attempts it has
 * already made (those before this delivery, which only waited). Through the one send path.
 */
export async function sendToWait(ports: SendPorts, queueUrl: string, envelope: Envelope, attemptsMade: number, delaySeconds: number): Promise<void> {
  const body = taskMessageBody({
    task: envelope.task,
    payload: (envelope.payload ?? {}) as object,
    id: envelope.id,
    scheduledAt: envelope.scheduledAt.toISOString(),
    source: envelope.source,
  });
  const entry = queueEntry(body, { delaySeconds, attributes: { [ATTEMPTS_ATTRIBUTE]: String(attemptsMade) } });
  await ports.sendMessages(queueUrl, [entry]);
}
