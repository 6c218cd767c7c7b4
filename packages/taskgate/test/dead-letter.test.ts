import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTE, deadLetterAttributes, MAX_ERROR_BYTES, ownAttributes, readDeadLetter } from '../src/worker/dead-letter';
import { sqsAttributeProblems } from './helpers/sqs-rules';

const facts = { reason: 'task-permanent', error: 'boom', task: 'send-report', attempts: 2, failedAt: '2026-11-22T12:00:00.000Z' };
const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const stored = (attributes: Record<string, MessageAttributeValue>) => attributes[DEAD_LETTER_ATTRIBUTE]!.StringValue!;

describe('the dead-letter attribute', () => {
  it('reads back exactly what it wrote, with characters SQS refuses written as JSON escapes', () => {
    const error = 'a\u0000b\u001b[2Jc\ud800d\ufffee\uffff 😀 "quoted" \\ \t\n';
    const attributes = deadLetterAttributes({ ...facts, error }, {});
    expect(sqsAttributeProblems(attributes)).toEqual([]);
    expect(stored(attributes)).toContain('\\u001b[2J');
    expect(stored(attributes)).toContain('\\ufffe');
    expect(readDeadLetter(attributes)).toEqual({ ...facts, error });
  });

  it('caps the error by its UTF-8 bytes once encoded, at a character boundary, and says how long it was', () => {
    for (const unit of ['😀', 'é', '\u0000', 'x']) {
      const error = unit.repeat(100_000);
      const attributes = deadLetterAttributes({ ...facts, error }, {});
      const read = readDeadLetter(attributes)!;
      const kept = read.error.replace(/ \[cut: \d+ bytes in all\]$/, '');
      expect(read.error).toContain(`[cut: ${Buffer.byteLength(error)} bytes in all]`);
      // The error as it stands in the attribute's JSON (between its quotes), escapes and all.
      expect(Buffer.byteLength(JSON.stringify(read.error)) - 2).toBeLessThanOrEqual(MAX_ERROR_BYTES);
      expect(Buffer.byteLength(JSON.stringify(read.error)) - 2).toBeGreaterThan(MAX_ERROR_BYTES - 50);
      expect(Buffer.byteLength(stored(attributes))).toBeLessThan(MAX_ERROR_BYTES + 200);
      expect(kept.length).toBeGreaterThan(0);
      expect(error.startsWith(kept)).toBe(true);
    }
  });

  it('never writes an empty value, and leaves out an own attribute SQS would refuse', () => {
    const attributes = deadLetterAttributes({ ...facts, error: '' }, ownAttributes({ empty: text(''), kept: text('v') }));
    expect(sqsAttributeProblems(attributes)).toEqual([]);
    expect(Object.keys(attributes).sort()).toEqual(['kept', DEAD_LETTER_ATTRIBUTE]);
  });

  it('keeps the first 9 own attributes by ASCII name order and carries the rest in its JSON', () => {
    const own = Object.fromEntries(['b', 'A', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((name) => [name, text(name)]));
    const attributes = deadLetterAttributes(facts, own);
    expect(Object.keys(attributes).sort()).toEqual(['A', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', DEAD_LETTER_ATTRIBUTE]);
    expect(JSON.parse(stored(attributes)).overflow).toEqual({ j: text('j') });
    expect(ownAttributes(attributes)).toEqual(own);
  });

  it('drops taskgate\'s names from own attributes, and a second dead-lettering keeps all 10 (an SQS move task keeps attributes)', () => {
    const own = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, text(`v${i}`)]));
    const first = deadLetterAttributes(facts, own);
    // Redriven by SQS's message move task: back on the task queue as it was in the DLQ.
    const again = deadLetterAttributes({ ...facts, attempts: 5 }, ownAttributes({ ...first, 'taskgate.reason': text('old') }));
    expect(readDeadLetter(again)?.attempts).toBe(5);
    expect(ownAttributes(again)).toEqual(own);
  });

  it('reads a message SQS moved itself, or one with a foreign `taskgate` attribute, as having no facts', () => {
    expect(readDeadLetter(undefined)).toBeUndefined();
    expect(readDeadLetter({ tenant: text('acme') })).toBeUndefined();
    expect(readDeadLetter({ [DEAD_LETTER_ATTRIBUTE]: text('not json') })).toBeUndefined();
    expect(ownAttributes({ [DEAD_LETTER_ATTRIBUTE]: text('{"reason":1}'), tenant: text('acme') })).toEqual({ tenant: text('acme') });
  });
});

describe('a message sent with its own taskgate attribute (found by the bad-input suite)', () => {
  it("puts back from its overflow only attributes SQS accepts, so SQS does not refuse the dead letter", () => {
    const forged = JSON.stringify({
      reason: 'task-permanent',
      error: 'earlier',
      attempts: 1,
      failedAt: '2026-01-01T00:00:00.000Z',
      overflow: {
        'bad name!': { DataType: 'String', StringValue: 'x' },
        'aws.reserved': { DataType: 'String', StringValue: 'x' },
        typeless: { DataType: 'Text', StringValue: 'x' },
        nul: { DataType: 'String', StringValue: 'a\u0000b' },
        kept: { DataType: 'String.custom', StringValue: 'fine' },
      },
    });
    const own = ownAttributes({ taskgate: { DataType: 'String', StringValue: forged } });
    expect(own).toEqual({ kept: { DataType: 'String.custom', StringValue: 'fine' } });
    expect(sqsAttributeProblems(deadLetterAttributes({ reason: 'invalid-json', error: 'x', attempts: 1, failedAt: '2026-01-01T00:00:00.000Z' }, own))).toEqual([]);
  });
});
