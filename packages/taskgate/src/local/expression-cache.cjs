'use strict';
/**
 * Remembers what dynalite's expression parsers (PEG.js grammars) made of an expression, so the
 * embedded DynamoDB parses each of the worker's ledger expressions once instead of at every
 * write: parsing the claim's condition was half of dynalite's CPU time in a drain, and dynalite's
 * one thread is what every ledger write waits for. Plain JavaScript: it runs in server-thread.cjs.
 *
 * A parse depends on the expression, the attribute names, whether it is a key condition, and the
 * attribute values only through their types (the parsers check operand types) — except BETWEEN,
 * which compares its bounds, and attribute_type, which checks its argument's text: expressions
 * with either are parsed every time. The parsed tree holds the request's value objects themselves;
 * the cached copy holds a placeholder in their place, and a hit fills in this request's values.
 * Errors (a string or a throw) are not cached. The placeholders an expression used are removed
 * from the request's unused names and values, as the parser itself does.
 */

const MAX_ENTRIES = 1000;
const PLACEHOLDER = Symbol('attribute value');

/** Wraps `parser.parse` (a dynalite grammar module) in place. */
function cacheParses(parser, valueDependent) {
  const parse = parser.parse;
  const cache = new Map();
  parser.parse = function cachedParse(input, options) {
    const context = options && options.context;
    if (!context || typeof input !== 'string' || valueDependent.test(input)) return parse.call(this, input, options);
    const key = cacheKey(input, context);
    const hit = cache.get(key);
    if (hit) {
      markUsed(context, hit);
      return fill(hit.tree, context.attrVals || {});
    }
    // Parsed against unused lists of its own, to learn every name and value it uses (the request's
    // lists may have lost some to an earlier expression of the same request).
    const names = Object.assign(Object.create(null), allKeys(context.attrNames));
    const values = Object.assign(Object.create(null), allKeys(context.attrVals));
    const result = parse.call(this, input, { ...options, context: { ...context, unusedAttrNames: names, unusedAttrVals: values } });
    const entry = { tree: undefined, names: usedKeys(context.attrNames, names), values: usedKeys(context.attrVals, values) };
    markUsed(context, entry);
    if (result === null || typeof result !== 'object') return result;
    entry.tree = template(result, context.attrVals || {});
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(key, entry);
    return result;
  };
}

function cacheKey(input, context) {
  const types = Object.entries(context.attrVals || {}).map(([name, value]) => `${name}:${Object.keys(value || {}).join('|')}`);
  return JSON.stringify([input, Boolean(context.isKeyCondition), context.attrNames || null, types]);
}

function allKeys(object) {
  return Object.fromEntries(Object.keys(object || {}).map((key) => [key, true]));
}

function usedKeys(object, unused) {
  return Object.keys(object || {}).filter((key) => !(key in unused));
}

function markUsed(context, entry) {
  for (const name of entry.names) if (context.unusedAttrNames) delete context.unusedAttrNames[name];
  for (const name of entry.values) if (context.unusedAttrVals) delete context.unusedAttrVals[name];
}

/** A copy of the tree with each of the request's value objects replaced by a placeholder naming it. */
function template(tree, values) {
  const byValue = new Map(Object.entries(values).map(([name, value]) => [value, name]));
  const copy = (node) => {
    if (node === null || typeof node !== 'object') return node;
    if (byValue.has(node)) return { [PLACEHOLDER]: byValue.get(node) };
    if (Array.isArray(node)) return node.map(copy);
    const out = Object.create(Object.getPrototypeOf(node));
    for (const key of Object.keys(node)) out[key] = copy(node[key]);
    return out;
  };
  return copy(tree);
}

/** The cached tree with this request's value objects in place of the placeholders. */
function fill(tree, values) {
  const copy = (node) => {
    if (node === null || typeof node !== 'object') return node;
    if (PLACEHOLDER in node) return values[node[PLACEHOLDER]];
    if (Array.isArray(node)) return node.map(copy);
    const out = Object.create(Object.getPrototypeOf(node));
    for (const key of Object.keys(node)) out[key] = copy(node[key]);
    return out;
  };
  return copy(tree);
}

/** Caches the condition and update parses of the dynalite this process loaded. */
function cacheDynaliteExpressions() {
  cacheParses(require('dynalite/db/conditionParser'), /\bbetween\b|\battribute_type\b/i);
  cacheParses(require('dynalite/db/updateParser'), /\bbetween\b|\battribute_type\b/i);
}

module.exports = { cacheDynaliteExpressions, cacheParses };
