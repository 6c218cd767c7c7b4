import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resource, TemplateDocument } from './template';

/** The separator between a nested stack's logical id and its resources' own in an inlined template. */
export const NESTED_ID_SEPARATOR = '/';

/** A template with its parameters and outputs, as far as inlining reads them. */
interface FullTemplate extends TemplateDocument {
  readonly Parameters?: Record<string, unknown>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

/**
 * Loads the template of one `AWS::CloudFormation::Stack` resource (a synthesized nested template
 * from the cloud assembly, a deployed one from CloudFormation), or undefined when it cannot.
 */
export type NestedTemplateLoader = (logicalId: string, resource: Resource) => TemplateDocument | undefined;

/**
 * One template with the resources of its nested stacks (aws-cdk-lib `NestedStack`, as a Taskgate of
 * `nestedStacks` makes them) taken in, so that the embedded runtime and the CLI read an app split
 * over nested stacks as one: each nested resource's id becomes `<nested stack's id>.<its id>`, a
 * parameter is replaced by the value the parent passes, and the parent's `Outputs.X` of the
 * nested stack by that output's value. A nested stack whose template cannot be loaded stays, as a
 * resource the runtime does not emulate (and says so).
 */
export function inlineNestedStacks(template: TemplateDocument, load: NestedTemplateLoader): TemplateDocument {
  const resources: Record<string, Resource> = {};
  const outputs = new Map<string, Record<string, unknown>>();
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const nested = resource.Type === 'AWS::CloudFormation::Stack' ? load(id, resource) : undefined;
    if (!nested) {
      resources[id] = resource;
      continue;
    }
    const inner = inlineNestedStacks(nested, (innerId, innerResource) => load(innerId, innerResource)) as FullTemplate;
    const parameters = (resource.Properties?.Parameters ?? {}) as Record<string, unknown>;
    const rename = renamer(id, inner, parameters);
    for (const [innerId, innerResource] of Object.entries(inner.Resources ?? {})) resources[`${id}${NESTED_ID_SEPARATOR}${innerId}`] = rename(innerResource) as Resource;
    outputs.set(id, Object.fromEntries(Object.entries((nested as FullTemplate).Outputs ?? {}).map(([name, output]) => [name, rename(output.Value)])));
  }
  const resolveOutputs = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(resolveOutputs);
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (Array.isArray(getAtt) && outputs.has(getAtt[0]) && String(getAtt[1]).startsWith('Outputs.')) {
      return outputs.get(getAtt[0])![String(getAtt[1]).slice('Outputs.'.length)];
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolveOutputs(inner)]));
  };
  return { ...template, Resources: resolveOutputs(resources) as Record<string, Resource> };
}

/** Rewrites a nested template's values into the parent's terms: its resources prefixed, its parameters replaced. */
function renamer(stackId: string, nested: FullTemplate, parameters: Record<string, unknown>): (value: unknown) => unknown {
  const own = new Set(Object.keys(nested.Resources ?? {}));
  const id = (name: string) => (own.has(name) ? `${stackId}${NESTED_ID_SEPARATOR}${name}` : name);
  const rename = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(rename);
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      if (fn === 'Ref' && typeof arg === 'string') return arg in parameters ? parameters[arg] : { Ref: id(arg) };
      if (fn === 'Fn::GetAtt') {
        const [target, attribute] = typeof arg === 'string' ? (arg.split(/\.(.*)/s) as [string, string]) : (arg as [string, unknown]);
        return { 'Fn::GetAtt': [id(target), rename(attribute)] };
      }
      if (fn === 'Fn::Sub') return renameSub(arg, parameters, id, rename);
    }
    const renamed = Object.fromEntries(entries.map(([key, inner]) => [key, key === 'DependsOn' ? [inner].flat().map((d) => id(String(d))) : rename(inner)]));
    return renamed;
  };
  return rename;
}

/** `Fn::Sub`: a parameter becomes a variable of the Sub bound to the parent's value; a resource name is prefixed. */
function renameSub(arg: unknown, parameters: Record<string, unknown>, id: (name: string) => string, rename: (value: unknown) => unknown): unknown {
  const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
  const bound: Record<string, unknown> = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, rename(value)]));
  const body = text.replace(/\$\{([^}!][^}]*)\}/g, (whole, name: string) => {
    if (name in bound) return whole;
    if (name in parameters) {
      bound[name] = parameters[name];
      return whole;
    }
    const dot = name.indexOf('.');
    return dot > 0 && !name.startsWith('AWS::') ? `\${${id(name.slice(0, dot))}${name.slice(dot)}}` : `\${${id(name)}}`;
  });
  return { 'Fn::Sub': Object.keys(bound).length > 0 ? [body, bound] : body };
}

/**
 * Loads a nested stack's template from the cloud assembly: the file its `aws:asset:path` metadata
 * names (a synth with asset metadata, as `taskgate dev` and the CDK CLI make), or else the file the
 * assets manifests publish under its TemplateURL's object key.
 */
export function assemblyNestedTemplates(outdir: string): NestedTemplateLoader {
  let byObjectKey: Map<string, string> | undefined;
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as TemplateDocument;
  return (_id, resource) => {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath === 'string' && fs.existsSync(path.join(outdir, assetPath))) return read(assetPath);
    const key = /[0-9a-f]{64}\.json/.exec(JSON.stringify(resource.Properties?.TemplateURL ?? ''))?.[0];
    byObjectKey ??= assetFiles(outdir);
    const file = key ? byObjectKey.get(key) : undefined;
    return file ? read(file) : undefined;
  };
}

/** Object key → source file of every file asset of the assembly's assets manifests. */
function assetFiles(outdir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const manifest of fs.readdirSync(outdir).filter((file) => file.endsWith('.assets.json'))) {
    const { files: assets = {} } = JSON.parse(fs.readFileSync(path.join(outdir, manifest), 'utf8')) as {
      files?: Record<string, { source?: { path?: string }; destinations?: Record<string, { objectKey?: string }> }>;
    };
    for (const asset of Object.values(assets)) {
      for (const destination of Object.values(asset.destinations ?? {})) {
        if (asset.source?.path && destination.objectKey) files.set(destination.objectKey, asset.source.path);
      }
    }
  }
  return files;
}
