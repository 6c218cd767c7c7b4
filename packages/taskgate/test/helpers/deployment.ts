import { createHash } from 'node:crypto';
import { resolveIntrinsics, type LocalResource } from '../../src/local/intrinsics';
import type { TemplateDocument } from '../../src/local/template';

/** A synthesized template: its resources and outputs. */
export type DeployableTemplate = TemplateDocument & { readonly Outputs?: Record<string, { readonly Value: unknown }> };

/** Where a simulated deployment lives. */
export const DEPLOYED = { region: 'eu-west-1', account: '123456789012' } as const;

/** A stack as CloudFormation would have deployed a template: physical names, outputs, policies. */
export interface Deployment {
  readonly stackName: string;
  readonly stackArn: string;
  readonly template: DeployableTemplate;
  /** A CloudFormation value (intrinsics and all) as deployed. */
  resolve(value: unknown): string;
  /** Each resource's physical id, as ListStackResources reports it. */
  readonly physicalIds: ReadonlyMap<string, string>;
  /** DescribeStacks' outputs. */
  readonly outputs: ReadonlyArray<{ OutputKey: string; OutputValue: string }>;
}

/**
 * Deploys a template on paper: every resource gets the physical name and ARN CloudFormation would
 * give it (its name property, or `<stack>-<logical id>-<hash>` as CloudFormation generates one), so
 * that stack outputs and IAM policies resolve to the same ARNs the CLI then calls AWS with.
 */
export function deploy(template: DeployableTemplate, stackName: string): Deployment {
  const { region, account } = DEPLOYED;
  const resources = template.Resources ?? {};
  const cache = new Map<string, LocalResource>();
  const context = {
    region,
    accountId: account,
    stackName,
    resource(logicalId: string): LocalResource | undefined {
      if (!cache.has(logicalId) && resources[logicalId]) cache.set(logicalId, physical(logicalId));
      return cache.get(logicalId);
    },
  };
  const resolve = (value: unknown) => resolveIntrinsics(value, context);
  function physical(logicalId: string): LocalResource {
    const { Type: type, Properties: props = {} } = resources[logicalId]!;
    const named = (key: string) => (props[key] === undefined ? undefined : resolve(props[key]));
    const generated = (max: number) => `${stackName}-${logicalId}-${createHash('sha256').update(logicalId).digest('hex').slice(0, 12).toUpperCase()}`.slice(-max);
    const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
    switch (type) {
      case 'AWS::SQS::Queue': {
        const name = named('QueueName') ?? `${generated(75)}${props.FifoQueue ? '.fifo' : ''}`;
        const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
        return { ref: url, attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } };
      }
      case 'AWS::DynamoDB::Table': {
        const name = named('TableName') ?? generated(255);
        return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`) } };
      }
      case 'AWS::Events::Rule': {
        const name = named('Name') ?? generated(64);
        return { ref: name, attributes: { Arn: arn('events', `rule/${name}`) } };
      }
      case 'AWS::Scheduler::ScheduleGroup': {
        const name = named('Name') ?? generated(64);
        return { ref: name, attributes: { Arn: arn('scheduler', `schedule-group/${name}`) } };
      }
      case 'AWS::Scheduler::Schedule': {
        const name = named('Name') ?? generated(64);
        return { ref: name, attributes: { Arn: arn('scheduler', `schedule/${named('GroupName') ?? 'default'}/${name}`) } };
      }
      case 'AWS::IAM::Role': {
        const name = named('RoleName') ?? generated(64);
        return { ref: name, attributes: { Arn: `arn:aws:iam::${account}:role${named('Path') ?? '/'}${name}`, RoleId: `AROA${logicalId.slice(0, 16)}` } };
      }
      case 'AWS::IAM::ManagedPolicy':
        return { ref: `arn:aws:iam::${account}:policy${named('Path') ?? '/'}${named('ManagedPolicyName') ?? generated(128)}`, attributes: {} };
      default: {
        const name = generated(64);
        return { ref: name, attributes: { Arn: arn(type.split('::')[1]!.toLowerCase(), name) } };
      }
    }
  }
  const physicalIds = new Map(Object.keys(resources).map((id) => [id, context.resource(id)!.ref]));
  const outputs = Object.entries(template.Outputs ?? {}).map(([key, output]) => ({ OutputKey: key, OutputValue: resolve(output.Value) }));
  const stackArn = `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/0f6c7b80-1111-2222-3333-444455556666`;
  return { stackName, stackArn, template, resolve, physicalIds, outputs };
}
