import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORST_CASE_DEPLOYMENT } from '../../src/cdk/worker-environment-size';

/** A synthesized template as the quota checks read it. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
  readonly Mappings?: Record<string, unknown>;
}

/** The app stack's template and each nested stack's, by file, from a cloud assembly of one stack. */
export function assemblyTemplates(outdir: string, stackName: string): Array<{ file: string; template: TemplateJson }> {
  const files = [`${stackName}.template.json`, ...fs.readdirSync(outdir).filter((file) => file.endsWith('.nested.template.json')).sort()];
  return files.map((file) => ({ file: path.join(outdir, file), template: JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as TemplateJson }));
}

/** Characters assumed for a value known only at deployment (a parameter, a generated name, an ARN). */
const UNKNOWN = 128;

/**
 * A CloudFormation value's length as deployed in the worst case: the longest partition, region and
 * account, and {@link UNKNOWN} characters for anything else known only then.
 */
export function worstCaseLength(value: unknown): number {
  const { partition, region, account } = WORST_CASE_DEPLOYMENT;
  const pseudo: Record<string, string> = { 'AWS::Partition': partition, 'AWS::Region': region, 'AWS::AccountId': account, 'AWS::URLSuffix': 'amazonaws.com.cn' };
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  const v = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref !== undefined) return pseudo[v.Ref]?.length ?? UNKNOWN;
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'];
    return parts.reduce<number>((sum, part) => sum + worstCaseLength(part), 0) + separator.length * Math.max(0, parts.length - 1);
  }
  return UNKNOWN;
}

/**
 * A policy document's IAM size (characters without white space) in the worst case: each intrinsic
 * replaced by a string of its worst-case length.
 */
export function worstCasePolicySize(document: unknown): number {
  const replace = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) return node.map(replace);
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return 'x'.repeat(worstCaseLength(node));
    return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, replace(inner)]));
  };
  return JSON.stringify(replace(document)).replace(/\s/g, '').length;
}

/** A dashboard body with each intrinsic replaced by `x`, parsed: its widgets as CloudWatch reads them. */
export function dashboardWidgets(body: unknown): Array<{ type: string; properties: { metrics?: unknown[]; alarms?: unknown[] } }> {
  const text = typeof body === 'string' ? body : ((body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'x')).join(''));
  return (JSON.parse(text) as { widgets: Array<{ type: string; properties: { metrics?: unknown[]; alarms?: unknown[] } }> }).widgets;
}
