import { describe, expect, it } from 'vitest';
import { checkTaskMessage, MAX_BODY_BYTES, parseEnvelope } from '../src/core/envelope';
import { PermanentError } from '../src/core/errors';

const facts = { messageId: 'm-1', sentTimestamp: Date.parse('2026-11-22T12:00:05Z') };

function reasonOf(body: string): string {
  try {
    parseEnvelope(body, facts);
  } catch (error) {
    if (error instanceof PermanentError) return `${error.reason}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('parseEnvelope', () => {
  it('fills the defaults of the smallest message from the SQS record', () => {
    expect(parseEnvelope('{"task":"cleanup"}', facts)).toEqual({
      task: 'cleanup',
      payload: {},
      id: 'm-1',
      scheduledAt: new Date('2026-11-22T12:00:05Z'),
      source: 'api',
    });
  });

  it('keeps every field of a full message', () => {
    const body = JSON.stringify({ task: 't', payload: { a: 1 }, id: 'tick-1', scheduledAt: '2026-11-22T12:00:00Z', source: 'schedule' });
    expect(parseEnvelope(body, facts)).toEqual({ task: 't', payload: { a: 1 }, id: 'tick-1', scheduledAt: new Date('2026-11-22T12:00:00Z'), source: 'schedule' });
  });

  it.each([
    ['', /^invalid-json: message body is not JSON/],
    ['[1]', /^invalid-envelope: message body must be a JSON object/],
    ['{"payload":{}}', /^invalid-envelope: "task" must be a non-empty string/],
    ['{"task":"t","payload":[1]}', /^invalid-envelope: "payload" must be a JSON object/],
    ['{"task":"t","id":""}', /^invalid-envelope: "id" must be a string/],
    ['{"task":"t","scheduledAt":"yesterday"}', /^invalid-envelope: "scheduledAt" must be an ISO-8601 date-time/],
    ['{"task":"t","source":"cron"}', /^invalid-envelope: "source" must be one of schedule, manual, once, chain, api/],
    [JSON.stringify({ task: 't', payload: { blob: 'x'.repeat(MAX_BODY_BYTES) } }), /^message-too-large:/],
  ])('rejects %j with a reason that says what to do', (body, expected) => {
    expect(reasonOf(body)).toMatch(expected);
  });
});

describe('checkTaskMessage (the checks the CLI runs before it sends)', () => {
  it('returns the message as sent, without the defaults a record would fill in', () => {
    expect(checkTaskMessage('{"task":"t","id":"x","scheduledAt":"2026-11-22T12:00:00Z"}')).toEqual({ task: 't', id: 'x', scheduledAt: new Date('2026-11-22T12:00:00Z') });
  });

  it('refuses exactly what parseEnvelope refuses', () => {
    for (const body of ['{"task":"t","id":""}', JSON.stringify({ task: 't', id: 'i'.repeat(513) }), '{"task":"t","extra":1}']) {
      expect(() => checkTaskMessage(body)).toThrow(PermanentError);
      expect(reasonOf(body)).toMatch(/^invalid-envelope:/);
    }
    expect(() => checkTaskMessage(JSON.stringify({ task: 't', id: 'i'.repeat(512) }))).not.toThrow();
  });
});
