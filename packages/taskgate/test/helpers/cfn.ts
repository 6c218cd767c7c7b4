import { WORST_CASE_DEPLOYMENT } from '../../src/cdk/worker-environment-size';

/**
 * Evaluates a CloudFormation value as if deployed, with stand-ins for what only a deployment
 * knows: `Ref X` → `ref:X`, `Fn::GetAtt [X, A]` → `X.A`, `Fn::Join` joined.
 */
export function evaluate(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `ref:${v.Ref}`;
  if (v['Fn::GetAtt']) return v['Fn::GetAtt'].join('.');
  if (v['Fn::Join']) return v['Fn::Join'][1].map(evaluate).join(v['Fn::Join'][0]);
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Characters CloudFormation adds to a generated physical name: `<stack>-<logical id>-<13 characters>`. */
const GENERATED_SUFFIX = '-XXXXXXXXXXXXX';

/**
 * Evaluates a CloudFormation value as deployed in the worst case for its size: the longest
 * partition, region and account (`WORST_CASE_DEPLOYMENT`), queue ARNs from their names, and a
 * generated table name as long as CloudFormation makes it. Objects and arrays are evaluated deeply.
 */
export function deployedValue(value: unknown, template: TemplateJson, stackName: string): unknown {
  const { partition, region, account } = WORST_CASE_DEPLOYMENT;
  const pseudo: Record<string, string> = { 'AWS::Partition': partition, 'AWS::Region': region, 'AWS::AccountId': account, 'AWS::StackName': stackName };
  const arnOf = (logicalId: string): string => {
    const resource = template.Resources[logicalId]!;
    const prefix = `arn:${partition}`;
    if (resource.Type === 'AWS::SQS::Queue') return `${prefix}:sqs:${region}:${account}:${String(resource.Properties!.QueueName)}`;
    if (resource.Type === 'AWS::DynamoDB::Table') return `${prefix}:dynamodb:${region}:${account}:table/${stackName}-${logicalId}${GENERATED_SUFFIX}`;
    throw new Error(`no worst-case ARN for ${resource.Type}`);
  };
  const evaluate = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) return v.map(evaluate);
    const o = v as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (o.Ref !== undefined) {
      if (pseudo[o.Ref]) return pseudo[o.Ref];
      const name = template.Resources[o.Ref]?.Properties?.Name;
      if (typeof name === 'string') return name;
      throw new Error(`no worst-case value for Ref ${o.Ref}`);
    }
    if (o['Fn::GetAtt']?.[1] === 'Arn') return arnOf(o['Fn::GetAtt'][0]);
    if (o['Fn::Join']) return o['Fn::Join'][1].map(evaluate).join(o['Fn::Join'][0]);
    if (Object.keys(o).some((key) => key.startsWith('Fn::'))) throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
    return Object.fromEntries(Object.entries(o).map(([key, inner]) => [key, evaluate(inner)]));
  };
  return evaluate(value);
}

/** IAM's size of a policy document: its characters, white space not counted. */
export function iamPolicySize(document: unknown): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}
