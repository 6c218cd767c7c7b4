import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import fc from 'fast-check';

/**
 * Characters SQS refuses in a body or attribute value (XML 1.0's Char production), and those past
 * U+FFFF, which SQS takes but fauxqs refuses: replaced, since the message would not be sent at all.
 */
const NOT_SENDABLE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu;
const sqsText = (text: string) => text.replace(NOT_SENDABLE, '\uFFFD');

/** Text SQS takes, from all of the Basic Multilingual Plane: control characters go in as JSON escapes, RTL marks, CJK. */
const anyText = (maxLength = 40) => fc.string({ unit: 'binary', maxLength }).map(sqsText);
/** A right value four times in five, else anything. */
const mostly = <T>(right: fc.Arbitrary<T>, wrong: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: right, weight: 4 }, { arbitrary: wrong, weight: 1 });

/** The fuzz worker's tasks (test/proof/bad-input.test.ts), near misses of them, and nonsense. */
const taskName = mostly(
  fc.constantFrom('fuzz-strict', 'fuzz-strict', 'fuzz-other-gate', 'fuzz-strikt', 'FUZZ-STRICT', 'fuzz strict', '', '-', 'a'.repeat(81), 'constructor', '__proto__', 'no-such-task'),
  fc.oneof(anyText(), fc.jsonValue()),
);

/** A payload near the task's schema `{ n: int, tag: string }`, or any JSON. */
const payload = fc.oneof(
  fc.record({ n: fc.oneof(fc.integer(), fc.double(), anyText(), fc.constant(null)), tag: fc.oneof(anyText(), fc.integer(), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.jsonValue(),
);

/** A task message envelope with each field right, wrong or missing, and sometimes a field too many. */
const envelope = fc
  .record(
    {
      task: taskName,
      payload,
      id: mostly(anyText(80).filter((id) => id.length > 0), fc.oneof(anyText(600), fc.integer(), fc.constant(''), fc.constant('x'.repeat(513)))),
      scheduledAt: mostly(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString()), fc.oneof(anyText(), fc.integer())),
      source: mostly(fc.constantFrom('manual', 'once', 'chain', 'api'), fc.oneof(fc.constantFrom('cron', 'Schedule'), anyText())),
    },
    { requiredKeys: ['task'] },
  )
  .chain((fields) =>
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: fc.tuple(anyText(12), fc.jsonValue()), weight: 1 }).map((extra) => (extra ? { ...fields, [extra[0]]: extra[1] } : fields)),
  );

/** A message body: any text, any JSON, an envelope, or an envelope cut short. */
const body = fc
  .oneof(
    anyText(300),
    fc.jsonValue().map((value) => JSON.stringify(value) ?? 'undefined'),
    envelope.map((value) => JSON.stringify(value)),
    fc.tuple(envelope, fc.nat()).map(([value, cut]) => {
      const text = JSON.stringify(value);
      return text.slice(0, cut % text.length);
    }),
  )
  .map((text) => (text.length === 0 ? ' ' : text));

/** A name SQS takes for a message attribute; taskgate's own `taskgate` and `taskgate.*` included. */
const attributeName = fc.oneof(
  fc.constantFrom('taskgate', 'taskgate.reason', 'Taskgate', 'tenant', 'trace-id'),
  fc.stringMatching(/^[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,30}[A-Za-z0-9_-])?$/).filter((name) => !/^(aws|amazon)\./i.test(name) && !name.includes('..')),
);

/** A `taskgate` attribute as a dead letter carries it, with garbage in its `overflow` (names SQS refuses included). */
const deadLetterLookalike = fc
  .dictionary(fc.oneof(anyText(20), attributeName), fc.record({ DataType: fc.constantFrom('String', 'Number', 'Binary', 'String.x', ''), StringValue: fc.option(anyText(), { nil: undefined }), BinaryValue: fc.option(fc.base64String(), { nil: undefined }) }, { requiredKeys: ['DataType'] }), { maxKeys: 12 })
  .map((overflow) => JSON.stringify({ reason: 'task-permanent', error: 'earlier', attempts: 1, failedAt: '2026-01-01T00:00:00.000Z', overflow }));

const attributeValue: fc.Arbitrary<MessageAttributeValue> = fc.oneof(
  fc.record({ DataType: fc.constantFrom('String', 'String.custom', 'Number.int'), StringValue: anyText(60).filter((text) => text.length > 0) }),
  fc.record({ DataType: fc.constant('Number'), StringValue: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map(String) }),
  fc.record({ DataType: fc.constantFrom('Binary', 'Binary.sig'), BinaryValue: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ DataType: fc.constant('String'), StringValue: deadLetterLookalike }),
);

/** Up to 10 attributes, as SQS allows. */
const attributes = fc.dictionary(attributeName, attributeValue, { maxKeys: 10 });

export interface BadMessage {
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
}

/** `count` generated messages, the same ones for the same seed. */
export function badMessages(count: number, seed: number): BadMessage[] {
  return fc.sample(fc.record({ body, attributes }), { numRuns: count, seed });
}

/** Values for a CLI flag: empty, huge, negative, fractional, control characters, JSON, paths. */
const flagValue = fc.oneof(
  anyText(30),
  fc.constantFrom('', '0', '-1', '1.5', '1e9', 'NaN', 'Infinity', '9'.repeat(40), '@/nonexistent/file.json', '{', '{"n":1}', 'null', '\u001b[31mred', 'rate(5 minutes)', 'cron(0 9 * * ? *)', 'at(2026-13-40T99:00:00)', '2h', '-2h', 'tomorrow'),
  fc.integer().map(String),
);

/** What the commands take, for generated command lines that reach past commander into the commands' own checks. */
const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  explain: ['--tz', '--count', '--from', '--json'],
  trigger: ['--payload', '--id', '--at', '--delay', '--local'],
  history: ['--task', '--limit', '--status', '--since', '--json', '--local'],
  backfill: ['--from', '--to', '--max', '--rate', '--local'],
  dlq: ['--limit', '--json', '--local'],
  redrive: ['--rate', '--limit', '--local'],
  schedules: ['--count', '--json', '--local'],
  status: ['--json', '--local'],
  tasks: ['--json', '--local'],
  pause: ['--local'],
  resume: ['--local'],
};

/** A command line: a command (or a misspelt one), positional values and flags with values, in any order. */
export function cliArguments(count: number, seed: number): string[][] {
  const line = fc.constantFrom(...Object.keys(COMMANDS), 'triger', '--help-me', '').chain((command) => {
    const flags = [...(COMMANDS[command] ?? []), '--stack', '--region', '--taskgate', '--unknown-flag', '-x'];
    const part = fc.oneof(flagValue.map((value) => [value]), fc.tuple(fc.constantFrom(...flags), flagValue).map(([flag, value]) => [flag, value]), fc.constantFrom(...flags).map((flag) => [flag]));
    return fc.array(part, { maxLength: 5 }).map((parts) => [command, ...parts.flat()].filter((arg, index) => index > 0 || arg !== ''));
  });
  return fc.sample(line, { numRuns: count, seed });
}
