import type { JSONSchema } from 'zod/v4/core';

/**
 * A task's payload schema (JSON Schema, as zod's toJSONSchema writes it) summarized for a human:
 * one row per field with its type, whether it is required, its default, enum values, and bounds
 * only where they say something (zod's `int()` carries the safe-integer range, which does not).
 */

type Schema = JSONSchema.JSONSchema;

/** One payload field as `taskgate tasks` lists it. */
export interface FieldSummary {
  readonly name: string;
  readonly type: string;
  /** `required`, or `optional` with the default the worker fills in. */
  readonly presence: string;
  readonly description?: string;
}

/** The fields of an object schema, in declaration order. */
export function summarizePayload(schema: Schema): FieldSummary[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, field]) => {
    const fieldSchema = typeof field === 'boolean' ? {} : field;
    return {
      name,
      type: describeType(field),
      presence: required.has(name) ? 'required' : fieldSchema.default === undefined ? 'optional' : `optional, default ${JSON.stringify(fieldSchema.default)}`,
      description: fieldSchema.description,
    };
  });
}

/** Bounds at or beyond these are the number type's own limits, not the task author's. */
const LIMIT = Number.MAX_SAFE_INTEGER;

function describeType(schema: JSONSchema._JSONSchema | JSONSchema._JSONSchema[]): string {
  // `true` (anything) and tuple forms are rare in payloads: say what they are without detail.
  if (typeof schema === 'boolean') return schema ? 'any' : 'nothing';
  if (Array.isArray(schema)) return `tuple of ${schema.map(describeType).join(', ')}`;
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map(describeType).join(' or ');
  const types = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
  if (types.length === 0) return 'any';
  return types.map((type) => describeOne(type, schema)).join(' or ');
}

function describeOne(type: string, schema: Schema): string {
  switch (type) {
    case 'integer':
    case 'number':
      return [type, numberBounds(schema)].filter(Boolean).join(' ');
    case 'string':
      return [
        schema.format ? `string (${schema.format})` : 'string',
        sizeBounds(schema.minLength, schema.maxLength, 'characters'),
        schema.pattern ? `matching ${schema.pattern}` : undefined,
      ]
        .filter(Boolean)
        .join(' ');
    case 'array':
      return [`array of ${schema.items ? describeType(schema.items) : 'any'}`, sizeBounds(schema.minItems, schema.maxItems, 'items')].filter(Boolean).join(', ');
    case 'object': {
      const fields = Object.keys(schema.properties ?? {});
      return fields.length > 0 ? `object with ${fields.join(', ')}` : 'object';
    }
    default:
      return type;
  }
}

/** `1..14`, `> 0`, `<= 100`, or nothing when only the type's own range is given. */
function numberBounds(schema: Schema): string | undefined {
  const low = bound('>', schema.exclusiveMinimum) ?? bound('>=', schema.minimum);
  const high = bound('<', schema.exclusiveMaximum) ?? bound('<=', schema.maximum);
  if (low?.op === '>=' && high?.op === '<=') return `${low.value}..${high.value}`;
  const parts = [low, high].flatMap((b) => (b ? [`${b.op} ${b.value}`] : []));
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function bound(op: string, value: number | boolean | undefined): { op: string; value: number } | undefined {
  return typeof value !== 'number' || Math.abs(value) >= LIMIT ? undefined : { op, value };
}

function sizeBounds(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  const from = min !== undefined && min > 0 ? min : undefined;
  if (from !== undefined && max !== undefined) return from === max ? `of ${from} ${unit}` : `of ${from}-${max} ${unit}`;
  if (from !== undefined) return `of at least ${from} ${unit}`;
  if (max !== undefined) return `of at most ${max} ${unit}`;
  return undefined;
}
