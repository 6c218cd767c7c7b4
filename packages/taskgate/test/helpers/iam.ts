/**
 * The slice of IAM's policy evaluation an identity policy of Allow statements needs: actions and
 * resources with `*` and `?` wildcards, NotAction/NotResource, and the string condition operators.
 * (The npm IAM simulators are AGPL-licensed; this project is Apache-2.0.)
 */

/** A policy statement with its resources resolved to strings, as IAM evaluates it. */
export interface ResolvedStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** One authorization IAM makes: an action on a resource (`*` for actions without resource types). */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

function pattern(glob: string, caseInsensitive: boolean): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '');
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());
const matchesAny = (globs: string[], value: string, caseInsensitive: boolean) => globs.some((glob) => pattern(glob, caseInsensitive).test(value));

const CONDITIONS: Record<string, (values: string[], actual: string | undefined) => boolean> = {
  StringEquals: (values, actual) => actual !== undefined && values.includes(actual),
  StringNotEquals: (values, actual) => actual !== undefined && !values.includes(actual),
  StringLike: (values, actual) => actual !== undefined && matchesAny(values, actual, false),
  StringNotLike: (values, actual) => actual !== undefined && !matchesAny(values, actual, false),
  // A request's single value (one item's key, as dynamodb:LeadingKeys of a PutItem) is a set of one.
  'ForAllValues:StringLike': (values, actual) => actual === undefined || matchesAny(values, actual, false),
  'ForAllValues:StringEquals': (values, actual) => actual === undefined || values.includes(actual),
};

function conditionsHold(statement: ResolvedStatement, context: Readonly<Record<string, string>>): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
    const test = CONDITIONS[operator];
    if (!test) throw new Error(`condition operator ${operator} is not modelled by test/helpers/iam.ts`);
    return Object.entries(keys).every(([key, values]) => test(list(values), context[key]));
  });
}

function applies(statement: ResolvedStatement, request: AccessRequest): boolean {
  const action = statement.Action ? matchesAny(list(statement.Action), request.action, true) : !matchesAny(list(statement.NotAction), request.action, true);
  const resource = statement.Resource ? matchesAny(list(statement.Resource), request.resource, false) : !matchesAny(list(statement.NotResource), request.resource, false);
  return action && resource && conditionsHold(statement, request.context ?? {});
}

/** Whether an identity holding only these statements may make the request: an Allow applies and no Deny does. */
export function isAllowed(statements: readonly ResolvedStatement[], request: AccessRequest): boolean {
  const matching = statements.filter((statement) => applies(statement, request));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}
