import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deadLetterAttributes } from '../src/worker/dead-letter';
import { expectOneLineError, json, useCliFixture } from './helpers/cli-fixture';

// dlq, purge-dlq and redrive as a subprocess against the embedded SQS server, through local.json.
const fixture = useCliFixture();
const cli = (...args: string[]) => fixture.cli(...args);

describe('dead letters', () => {
  async function deadLetter(gate: string, body: string, reason: string, error: string, extra: Record<string, string> = {}) {
    await fixture.aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: fixture.aws.config.gates[gate]!.dlqUrl,
        MessageBody: body,
        MessageAttributes: deadLetterAttributes(
          { reason, error, attempts: 1, failedAt: '2026-11-22T12:00:00.000Z' },
          Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
        ),
      }),
    );
  }

  it('dlq lists reasons without consuming the messages', async () => {
    await deadLetter('email-api', '{"task":"send-delivery-reminders","payload":{}}', 'invalid-payload', 'payload fails its schema: market');
    await deadLetter('email-api', 'not json', 'invalid-json', 'message body is not JSON');
    const listed = json<Array<{ task?: string; reason: string; error: string; attempts: number; body: string }>>((await cli('dlq', 'email-api', '--json')).stdout);
    expect(listed.map((l) => [l.task, l.reason, l.attempts]).sort()).toEqual([
      [undefined, 'invalid-json', 1],
      ['send-delivery-reminders', 'invalid-payload', 1],
    ].sort());
    expect(listed.find((l) => l.reason === 'invalid-json')!.body).toBe('not json');
    // Still there, and visible at once for a redrive.
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates['email-api']!.dlqUrl)).toMatchObject({ visible: 2, inFlight: 0 });
    const table = (await cli('dlq', 'email-api')).stdout;
    expect(table).toMatch(/send-delivery-reminders\s+invalid-payload\s+1\s+payload fails its schema: market/);
    expect(table).toContain('move them back with npx taskgate redrive email-api');
  });

  it('purge-dlq asks for confirmation; --yes purges', async () => {
    await deadLetter('email-api', '{"task":"send-delivery-reminders","payload":{}}', 'invalid-payload', 'payload fails its schema: market');
    await deadLetter('email-api', 'not json', 'invalid-json', 'message body is not JSON');
    expectOneLineError(await cli('purge-dlq', 'email-api'), /deletes 2 dead letter\(s\) of gate email-api for good; pass --yes/);
    expect((await fixture.aws.queueDepth(fixture.aws.config.gates['email-api']!.dlqUrl)).visible).toBe(2);
    const purged = await cli('purge-dlq', 'email-api', '--yes');
    expect(purged.stdout).toContain('purged 2 dead letter(s) of gate email-api');
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates['email-api']!.dlqUrl)).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('redrive moves every message back exactly once, bodies unchanged, without taskgate attributes', async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => JSON.stringify({ task: 'cleanup-stray-instances', id: `dead-${i}`, payload: { olderThanHours: i + 1 } }));
    for (const body of bodies) await deadLetter('default', body, 'retries-exhausted', 'boom', { tenant: 'acme' });
    const result = await cli('redrive', 'default', '--rate', '200/s');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('moved 25 of 25 dead letter(s) back to gate default');
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates.default!.dlqUrl)).toMatchObject({ visible: 0, inFlight: 0 });
    const moved = await fixture.drain(fixture.aws.config.gates.default!.queueUrl);
    expect(moved.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    for (const message of moved) expect(Object.keys(message.MessageAttributes ?? {})).toEqual(['tenant']);
    const again = await cli('redrive', 'default', '--json');
    expect(json<{ moved: number }>(again.stdout).moved).toBe(0);
  });

  it('redrive on a FIFO gate keeps the message group and the order', async () => {
    const gate = fixture.aws.config.gates['rates-api']!;
    for (let i = 0; i < 5; i++) {
      await fixture.aws.sqs.send(
        new SendMessageCommand({
          QueueUrl: gate.dlqUrl,
          MessageBody: JSON.stringify({ task: 'refresh-exchange-rates', id: `fifo-${i}` }),
          MessageGroupId: 'rates-api',
          MessageDeduplicationId: `fifo-${i}`,
          MessageAttributes: deadLetterAttributes({ reason: 'task-permanent', error: 'x', attempts: 1, failedAt: '2026-11-22T12:00:00.000Z' }, {}),
        }),
      );
    }
    expect((await cli('redrive', 'rates-api')).stdout).toContain('moved 5 of 5 dead letter(s)');
    const moved = await fixture.drain(gate.queueUrl);
    expect(moved.map((m) => (JSON.parse(m.Body!) as { id: string }).id)).toEqual(['fifo-0', 'fifo-1', 'fifo-2', 'fifo-3', 'fifo-4']);
    expect(new Set(moved.map((m) => m.Attributes?.MessageGroupId))).toEqual(new Set(['rates-api']));
    expect(moved.every((m) => m.MessageAttributes === undefined || Object.keys(m.MessageAttributes).length === 0)).toBe(true);
  });

  it('dlq prints what came from the message with control characters escaped', async () => {
    // A JSON escape in the body is plain text on the wire; parsed, the task name holds a raw ESC.
    await deadLetter('default', '{"task":"x\\u001b[31mRED\\u001b[2J"}', 'unknown-task', 'unknown task "x\u001b[31mRED"');
    const { stdout, code } = await cli('dlq', 'default');
    expect(code).toBe(0);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toMatch(/x\\u001b\[31mRED\\u001b\[2J\s+unknown-task\s+1\s+unknown task "x\\u001b\[31mRED"/);
  });

  it('names a gate that does not exist, with the closest one', async () => {
    expectOneLineError(await cli('dlq', 'email'), /no gate named "email" in the embedded runtime .*gates: default, email-api, rates-api/);
  });
});
