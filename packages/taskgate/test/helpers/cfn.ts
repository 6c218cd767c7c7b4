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
