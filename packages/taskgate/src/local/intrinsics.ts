/**
 * Resolves CloudFormation intrinsics in a function's environment to the embedded runtime's values:
 * `{Ref: Queue}` is the local queue URL, `{Fn::GetAtt: [Queue, Arn]}` its local ARN, `{Ref: Table}`
 * the local table name, and Fn::Join / Fn::Sub / Fn::Select / Fn::Split of those (what
 * `Stack.toJsonString` produces).
 */

/** What the runtime knows about one resource of the stack. */
export interface LocalResource {
  /** The value of `{Ref: id}`. */
  readonly ref: string;
  /** The values of `{Fn::GetAtt: [id, name]}`. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface IntrinsicContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Resolves a logical id, or undefined when the resource has no local stand-in. */
  readonly resource: (logicalId: string) => LocalResource | undefined;
}

/** An intrinsic the runtime cannot resolve; the message says where and what. */
export class UnresolvableError extends Error {
  override name = 'UnresolvableError';
}

export function resolveIntrinsics(value: unknown, context: IntrinsicContext): string {
  const resolved = resolve(value, context);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new UnresolvableError(`resolves to ${JSON.stringify(resolved)}, not a string`);
}

function pseudo(name: string, context: IntrinsicContext): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NoValue':
      return '';
    default:
      return undefined;
  }
}

function ref(name: string, context: IntrinsicContext): string {
  const value = pseudo(name, context) ?? context.resource(name)?.ref;
  if (value === undefined) throw new UnresolvableError(`{Ref: ${name}} names a resource the embedded runtime does not emulate`);
  return value;
}

function getAtt(id: string, attribute: string, context: IntrinsicContext): string {
  const resource = context.resource(id);
  const value = resource?.attributes[attribute];
  if (value === undefined) {
    throw new UnresolvableError(`{Fn::GetAtt: [${id}, ${attribute}]} has no local value${resource ? ` (known: ${Object.keys(resource.attributes).join(', ')})` : ''}`);
  }
  return value;
}

function resolve(value: unknown, context: IntrinsicContext): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => resolve(item, context));
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1 || !(entries[0]![0] === 'Ref' || entries[0]![0].startsWith('Fn::'))) {
    return Object.fromEntries(entries.map(([key, item]) => [key, resolve(item, context)]));
  }
  const [fn, arg] = entries[0]!;
  switch (fn) {
    case 'Ref':
      return ref(String(arg), context);
    case 'Fn::GetAtt': {
      const [id, attribute] = typeof arg === 'string' ? (arg.split(/\.(.*)/s) as [string, string]) : (arg as [string, unknown]);
      return getAtt(id, String(resolve(attribute, context)), context);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return (resolve(parts, context) as unknown[]).map((part) => String(part)).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = resolve(list, context) as unknown[];
      const at = Number(resolve(index, context));
      if (!Array.isArray(items) || items[at] === undefined) throw new UnresolvableError(`Fn::Select index ${at} is out of range`);
      return items[at];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return String(resolve(source, context)).split(separator);
    }
    case 'Fn::Sub': {
      const [template, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      const locals = Object.fromEntries(Object.entries(variables).map(([name, item]) => [name, resolve(item, context)]));
      return template.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
        if (name in locals) return String(locals[name]);
        const dot = name.indexOf('.');
        return dot > 0 && !name.startsWith('AWS::') ? getAtt(name.slice(0, dot), name.slice(dot + 1), context) : ref(name, context);
      });
    }
    default:
      throw new UnresolvableError(`${fn} is not supported by the embedded runtime`);
  }
}
