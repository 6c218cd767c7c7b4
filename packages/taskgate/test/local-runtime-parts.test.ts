import { describe, expect, it } from 'vitest';
import { resolveIntrinsics, UnresolvableError, type IntrinsicContext } from '../src/local/intrinsics';
import { failedRecords } from '../src/local/poller';
import { formatLogLine, formatRunLine, runLines } from '../src/local/run-log';
import { sqsRecord } from './helpers/sqs-records';

const context: IntrinsicContext = {
  region: 'us-east-1',
  accountId: '000000000000',
  stackName: 'Taskgate',
  resource: (id) =>
    id === 'Queue'
      ? { ref: 'http://sqs.us-east-1.localhost:9324/000000000000/Taskgate-default', attributes: { Arn: 'arn:aws:sqs:us-east-1:000000000000:Taskgate-default' } }
      : id === 'Table'
        ? { ref: 'Taskgate-Table', attributes: { Arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Taskgate-Table' } }
        : undefined,
};

describe('resolveIntrinsics', () => {
  it('resolves what Stack.toJsonString produces: Fn::Join of Refs and GetAtts', () => {
    const value = { 'Fn::Join': ['', ['{"default":{"url":"', { Ref: 'Queue' }, '","arn":"', { 'Fn::GetAtt': ['Queue', 'Arn'] }, '"}}']] };
    expect(JSON.parse(resolveIntrinsics(value, context))).toEqual({
      default: { url: 'http://sqs.us-east-1.localhost:9324/000000000000/Taskgate-default', arn: 'arn:aws:sqs:us-east-1:000000000000:Taskgate-default' },
    });
  });

  it('resolves Fn::Sub with pseudo parameters, attributes and its own variables', () => {
    expect(resolveIntrinsics({ 'Fn::Sub': ['${Table}@${AWS::Region}/${Queue.Arn}/${X}', { X: { Ref: 'AWS::AccountId' } }] }, context)).toBe(
      'Taskgate-Table@us-east-1/arn:aws:sqs:us-east-1:000000000000:Taskgate-default/000000000000',
    );
  });

  it('names what it cannot resolve', () => {
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, context)).toThrow(UnresolvableError);
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, context)).toThrow(/Fn::ImportValue is not supported/);
  });
});

describe('failedRecords (Lambda partial batch response rules)', () => {
  const records = [sqsRecord({ task: 'a' }), sqsRecord({ task: 'b' })];
  const ids = records.map((r) => r.messageId);

  it('keeps only the listed records', () => {
    expect([...failedRecords({ batchItemFailures: [{ itemIdentifier: ids[1] }] }, records, true)]).toEqual([ids[1]]);
  });

  it('treats an empty or missing response as complete success', () => {
    expect(failedRecords({ batchItemFailures: [] }, records, true).size).toBe(0);
    expect(failedRecords(undefined, records, true).size).toBe(0);
  });

  it('fails the whole batch when the response names a record that is not in it', () => {
    expect(failedRecords({ batchItemFailures: [{ itemIdentifier: 'other' }] }, records, true).size).toBe(2);
    expect(failedRecords({ batchItemFailures: [{ itemIdentifier: '' }] }, records, true).size).toBe(2);
  });

  it('ignores the response when the mapping does not report batch item failures', () => {
    expect(failedRecords({ batchItemFailures: [{ itemIdentifier: ids[0] }] }, records, false).size).toBe(0);
  });
});

describe('runLines (one line per run on the console)', () => {
  const startedAt = Date.parse('2026-11-25T12:00:00Z');
  const report = (body: object) => ({
    records: [sqsRecord(body, { messageId: 'm-1' })],
    invoke: { ok: true as const, result: { batchItemFailures: [] }, durationMs: 4 },
    failed: new Set<string>(),
    startedAt,
  });

  it('reports the run the batch made with the ledger’s outcome', () => {
    const ledger = new Map([['sync#t-1', { status: 'succeeded', durationMs: 3, startedAt: startedAt + 2 }]]);
    expect(runLines('default', report({ task: 'sync', id: 't-1' }), ledger)[0]).toMatchObject({ task: 'sync', outcome: 'succeeded', durationMs: 3 });
  });

  it('gives a delivery that found its run leased by another worker its reason', () => {
    const failed = { ...report({ task: 'sync', id: 't-1' }), failed: new Set(['m-1']) };
    const ledger = new Map([['sync#t-1', { status: 'running', startedAt: startedAt - 1000 }]]);
    expect(runLines('default', failed, ledger)[0]).toMatchObject({ outcome: 'retry', detail: 'leased by another worker; back when its lease ends' });
    // A run of this delivery that failed says its own error.
    const own = new Map([['sync#t-1', { status: 'failed', error: 'HTTP 503', durationMs: 5, startedAt: startedAt + 1 }]]);
    expect(runLines('default', failed, own)[0]).toMatchObject({ outcome: 'retry', detail: 'HTTP 503' });
  });

  it("says a failed attempt's next attempt is running when that one claimed the run before the record was read", () => {
    const failed = { ...report({ task: 'sync', id: 't-1' }), failed: new Set(['m-1']) };
    const next = new Map([['sync#t-1', { status: 'running', attempts: 2, startedAt: startedAt + 5 }]]);
    expect(runLines('default', failed, next)[0]).toMatchObject({ outcome: 'retry', attempt: 1, detail: expect.stringMatching(/^failed; attempt 2 is already running/) });
    // The same attempt running is another delivery of it, holding the lease.
    const same = new Map([['sync#t-1', { status: 'running', attempts: 1, startedAt: startedAt - 1000 }]]);
    expect(runLines('default', failed, same)[0]).toMatchObject({ detail: 'leased by another worker; back when its lease ends' });
  });

  it('says a dead letter on one line: the run line has the reason and the error, the worker\'s log line is not repeated', () => {
    const ledger = new Map([['sync#t-1', { status: 'dead', reason: 'retries-exhausted', error: 'attempt 5 of 5 failed: HTTP 503', startedAt: startedAt + 1 }]]);
    expect(runLines('default', report({ task: 'sync', id: 't-1' }), ledger)[0]).toMatchObject({ outcome: 'dead', detail: 'retries-exhausted: attempt 5 of 5 failed: HTTP 503' });
    expect(runLines('default', report({ task: 'sync', id: '' }), new Map())[0]).toMatchObject({ outcome: 'dead', detail: expect.stringMatching(/^invalid-envelope: "id" must be/) });
    const moved = JSON.stringify({ level: 'ERROR', message: 'message moved to the DLQ', outcome: 'dead', reason: 'retries-exhausted', error: 'HTTP 503' });
    expect(formatLogLine('default', moved, false)).toBeUndefined();
    expect(formatLogLine('default', moved, true)).toContain('message moved to the DLQ');
    // Other warnings and errors still show.
    expect(formatLogLine('default', JSON.stringify({ level: 'ERROR', message: 'could not move the message to the DLQ' }), false)).toContain('could not move');
  });

  it('prints what came from a message with control characters escaped', () => {
    const [line] = runLines('default', report({ task: 'x\u001b[31mRED\u001b[2J', id: 'i\u001b[2J' }), new Map());
    const text = formatRunLine({ ...line!, detail: 'boom\u009b2J' });
    expect(text).not.toMatch(/[\u001b\u009b]/);
    expect(text).toContain('x\\u001b[31mRED\\u001b[2J');
    expect(text).toContain('boom\\u009b2J');
    const log = formatLogLine('default', JSON.stringify({ level: 'WARN', message: 'odd \u001b[2J', task: 'x\u001b[2J' }), false);
    expect(log).not.toContain('\u001b');
    expect(formatLogLine('default', 'console \u001b[2J output', false)).toContain('console \\u001b[2J output');
  });

  it('reports a duplicate delivery as a duplicate, not as a second success', () => {
    const ledger = new Map([['sync#t-1', { status: 'succeeded', durationMs: 3, startedAt: startedAt - 60_000 }]]);
    expect(runLines('default', report({ task: 'sync', id: 't-1' }), ledger)[0]).toMatchObject({ outcome: 'duplicate', detail: 'run already succeeded; not run again' });
  });
});
