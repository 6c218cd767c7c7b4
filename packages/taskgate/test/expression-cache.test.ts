import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const load = createRequire(__filename);
const { cacheParses } = load('../src/local/expression-cache.cjs') as { cacheParses: (parser: Parser, valueDependent: RegExp) => void };

interface Context {
  attrNames: Record<string, string>;
  attrVals: Record<string, Record<string, unknown>>;
  unusedAttrNames: Record<string, boolean>;
  unusedAttrVals: Record<string, boolean>;
  isKeyCondition?: boolean;
  isReserved: (name: string) => boolean;
  compare: (op: string, a: unknown, b: unknown) => boolean;
}
interface Parser {
  parse(input: string, options: { context: Context }): unknown;
}

const conditionParser = load('dynalite/db/conditionParser') as Parser;
const updateParser = load('dynalite/db/updateParser') as Parser;
const db = load('dynalite/db') as { compare: Context['compare'] };

/** A request's context as dynalite's validations build it. */
function context(attrNames: Record<string, string>, attrVals: Record<string, Record<string, unknown>>): Context {
  return {
    attrNames,
    attrVals,
    unusedAttrNames: Object.fromEntries(Object.keys(attrNames).map((key) => [key, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(attrVals).map((key) => [key, true])),
    isReserved: (name) => name.toUpperCase() === 'STATUS',
    compare: db.compare,
  };
}

/** The parse (or its error) and what it left unused, as the caller sees them. */
function outcome(parser: Parser, input: string, ctx: Context): unknown {
  try {
    return { result: parser.parse(input, { context: ctx }), unusedNames: ctx.unusedAttrNames, unusedValues: ctx.unusedAttrVals };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

const NAMES = { '#pk': 'pk', '#status': 'status', '#leaseUntil': 'leaseUntil', '#finishedAt': 'finishedAt', '#extra': 'extra' };
const CLAIMABLE =
  'attribute_not_exists(#pk) OR (#status IN (:running, :failed) AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)) OR (#status = :dead AND #finishedAt < :sentAt)';
const values = (now: number, token: string) => ({
  ':running': { S: 'running' },
  ':failed': { S: 'failed' },
  ':dead': { S: 'dead' },
  ':now': { N: String(now) },
  ':sentAt': { S: new Date(now).toISOString() },
  ':token': { S: token },
});

/** Each case is parsed three times through the cache (a miss, then hits with other values) and compared with an uncached parse. */
const cases: Array<{ what: string; parser: Parser; input: string; names: Record<string, string>; vals: (i: number) => Record<string, Record<string, unknown>> }> = [
  { what: 'the ledger claim condition', parser: conditionParser, input: CLAIMABLE, names: NAMES, vals: (i) => values(1000 + i, `t-${i}`) },
  {
    what: 'an update with SET and REMOVE',
    parser: updateParser,
    input: 'SET #status = :running, #leaseUntil = :now REMOVE #finishedAt',
    names: NAMES,
    vals: (i) => ({ ':running': { S: `r-${i}` }, ':now': { N: String(i) } }),
  },
  {
    what: "the rate bucket's refill condition",
    parser: conditionParser,
    input: '#tat >= :reset AND #tat < :now',
    names: { '#tat': 'tat' },
    vals: (i) => ({ ':reset': { N: String(i) }, ':now': { N: String(1000 + i) } }),
  },
  {
    what: "the rate bucket's reservation, with arithmetic and if_not_exists",
    parser: updateParser,
    input: 'SET #tat = #tat + :step, #used = if_not_exists(#used, :zero) + :taken REMOVE #old',
    names: { '#tat': 'tat', '#used': 'used-1', '#old': 'used-0' },
    vals: (i) => ({ ':step': { N: String(25 * (i + 1)) }, ':zero': { N: '0' }, ':taken': { N: String(i + 1) } }),
  },
  { what: 'a value whose type changes the verdict', parser: conditionParser, input: 'begins_with(#pk, :p)', names: { '#pk': 'pk' }, vals: (i) => ({ ':p': i === 1 ? { N: '1' } : { S: `p-${i}` } }) },
  { what: 'BETWEEN, which compares its values', parser: conditionParser, input: '#pk BETWEEN :a AND :b', names: { '#pk': 'pk' }, vals: (i) => ({ ':a': { N: String(i) }, ':b': { N: '1' } }) },
  { what: 'a name the expression does not use', parser: conditionParser, input: '#pk = :token', names: NAMES, vals: (i) => ({ ':token': { S: `t-${i}` } }) },
  { what: 'a syntax error', parser: conditionParser, input: '#pk = = :token', names: { '#pk': 'pk' }, vals: (i) => ({ ':token': { S: `t-${i}` } }) },
];

describe('expression cache of the embedded DynamoDB', () => {
  for (const { what, parser, input, names, vals } of cases) {
    it(`parses ${what} as dynalite does, with each request's own values`, () => {
      const cached: Parser = { parse: parser.parse };
      cacheParses(cached, /\bbetween\b|\battribute_type\b/i);
      for (const i of [0, 1, 2]) {
        expect(outcome(cached, input, context(names, vals(i)))).toStrictEqual(outcome(parser, input, context(names, vals(i))));
      }
    });
  }

  it('gives a hit the values of its own request, not the first one', () => {
    const cached: Parser = { parse: conditionParser.parse };
    cacheParses(cached, /\bbetween\b/i);
    cached.parse('#pk = :token', { context: context({ '#pk': 'pk' }, { ':token': { S: 'first' } }) });
    const second = { S: 'second' };
    const tree = cached.parse('#pk = :token', { context: context({ '#pk': 'pk' }, { ':token': second }) });
    expect(JSON.stringify(tree)).toContain('second');
    expect(JSON.stringify(tree)).not.toContain('first');
  });
});
