import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';
import { gateOutputKey } from '../core/outputs';
import { awsQueueBase, queueAddress } from '../core/queue-address';
import { inlineNestedStacks, NESTED_ID_SEPARATOR } from '../local/nested-stacks';
import { modelFromTemplate, type AppModel, type TemplateDocument } from '../local/template';
import type { RateLimit } from '../worker/rate/rate-limit';
import { CliError } from './errors';

/** A deployed taskgate stack: its outputs and its template, read once per command. */
export class DeployedStack {
  private physical?: Promise<ReadonlyMap<string, string>>;

  private constructor(
    readonly name: string,
    readonly region: string,
    readonly outputs: ReadonlyMap<string, string>,
    readonly template: TemplateDocument,
    readonly model: AppModel,
    private readonly cloudformation: CloudFormationClient,
    /** The nested stacks taken into `template`: logical id → stack ARN. */
    private readonly nestedStacks: ReadonlyMap<string, string>,
  ) {}

  /** Reads the stack; a stack that does not exist is a CliError naming the region looked in. */
  static async load(cloudformation: CloudFormationClient, name: string): Promise<DeployedStack> {
    const region = await cloudformation.config.region();
    let outputs: Map<string, string>;
    let stackId: string | undefined;
    try {
      const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: name }));
      const stack = Stacks[0];
      if (!stack) throw notFound(name, region);
      stackId = stack.StackId;
      outputs = new Map((stack.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey!, o.OutputValue!]));
    } catch (error) {
      // CloudFormation says "Stack with id X does not exist" as a generic ValidationError; the
      // message is the only thing that tells it apart from a malformed request.
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) throw notFound(name, region);
      throw error;
    }
    const template = await readTemplate(cloudformation, name);
    const deployed = new DeployedStack(name, region, outputs, template, modelFromTemplate(template, name), cloudformation, new Map());
    return deployed.nested.size === 0 ? deployed : deployed.withNestedStacks(stackId);
  }

  /** Logical id → physical id of the template's nested stacks (`AWS::CloudFormation::Stack`): their stack ARNs once deployed. */
  private get nested(): ReadonlyMap<string, string> {
    return new Map(Object.entries(this.template.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack').map(([id]) => [id, id]));
  }

  /**
   * The stack with its nested stacks' resources taken in (a Taskgate of `nestedStacks`: a gate and
   * its schedules in each), as local/nested-stacks.ts inlines them, and the gates' queue URLs,
   * whose outputs sit in the nested stacks, derived from their names (core/queue-address.ts).
   */
  private async withNestedStacks(stackId: string | undefined): Promise<DeployedStack> {
    const physical = await this.physicalIds();
    const templates = new Map<string, TemplateDocument>();
    await Promise.all(
      [...this.nested.keys()].map(async (id) => {
        const arn = physical.get(id);
        if (arn) templates.set(id, await readTemplate(this.cloudformation, arn));
      }),
    );
    const template = inlineNestedStacks(this.template, (id) => templates.get(id));
    const model = modelFromTemplate(template, this.name);
    const outputs = new Map(this.outputs);
    const [, partition = 'aws', , , account = ''] = (stackId ?? '').split(':');
    const base = awsQueueBase(partition, this.region, account, partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com');
    for (const queue of model.queues.values()) {
      if (!queue.gate || !queue.queueName) continue;
      const key = gateOutputKey(queue.gate, queue.redrive ? 'QueueUrl' : 'DeadLetterQueueUrl', queue.taskgate);
      if (!outputs.has(key)) outputs.set(key, queueAddress(base, queue.queueName).url);
    }
    const nestedArns = new Map([...templates.keys()].map((id) => [id, physical.get(id)!]));
    return new DeployedStack(this.name, this.region, outputs, template, model, this.cloudformation, nestedArns);
  }

  /** The same stack seen through `model`: the resources of one of its Taskgates. */
  withModel(model: AppModel): DeployedStack {
    return new DeployedStack(this.name, this.region, this.outputs, this.template, model, this.cloudformation, this.nestedStacks);
  }

  /** An output's value, or a CliError naming the output and what to do. */
  output(key: string, what: string): string {
    const value = this.outputs.get(key);
    if (value === undefined) {
      throw new CliError(`stack ${this.name} has no output ${key} (${what}); redeploy it with this version of taskgate (npx cdk deploy)`);
    }
    return value;
  }

  /**
   * Logical id → physical id (a rule's or schedule's name), from ListStackResources; a nested
   * stack's resources under `<nested stack's id>/<id>`, as the inlined template names them.
   */
  physicalIds(): Promise<ReadonlyMap<string, string>> {
    this.physical ??= (async () => {
      const ids = await listResources(this.cloudformation, this.name, '');
      const nested = await Promise.all([...this.nestedStacks].map(([id, arn]) => listResources(this.cloudformation, arn, `${id}${NESTED_ID_SEPARATOR}`)));
      for (const more of nested) for (const [id, physical] of more) ids.set(id, physical);
      return ids;
    })();
    return this.physical;
  }

  /**
   * The gate's concurrency cap: its event source mapping's maximum concurrency, or (a FIFO gate of
   * concurrency 1 leaves that unset) its worker's reserved concurrency.
   */
  concurrency(gate: string): number | undefined {
    for (const mapping of this.model.mappings) {
      const worker = this.model.functions.get(mapping.function);
      if (worker?.gate === gate) return mapping.maxConcurrency ?? worker.reservedConcurrency;
    }
    return undefined;
  }

  /** The gate's rate: its worker's `taskgate:rate` metadata, when it has one. */
  rate(gate: string): RateLimit | undefined {
    for (const worker of this.model.functions.values()) if (worker.gate === gate && worker.rate) return worker.rate;
    return undefined;
  }

  /**
   * Seconds past which the gate's oldest message sets off its alarm (the Gate's `maxMessageAge`):
   * the threshold of the template's ApproximateAgeOfOldestMessage alarm on the gate's queue.
   */
  maxMessageAge(gate: string): number | undefined {
    for (const resource of Object.values(this.template.Resources ?? {})) {
      const properties = (resource.Properties ?? {}) as { MetricName?: unknown; Threshold?: unknown; Dimensions?: Array<{ Value?: { 'Fn::GetAtt'?: unknown[] } }> };
      if (resource.Type !== 'AWS::CloudWatch::Alarm' || properties.MetricName !== 'ApproximateAgeOfOldestMessage') continue;
      const queue = properties.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0];
      if (typeof queue === 'string' && this.model.queues.get(queue)?.gate === gate && typeof properties.Threshold === 'number') return properties.Threshold;
    }
    return undefined;
  }
}

async function listResources(cloudformation: CloudFormationClient, stack: string, prefix: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for await (const page of paginateListStackResources({ client: cloudformation }, { StackName: stack })) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.LogicalResourceId && resource.PhysicalResourceId) ids.set(`${prefix}${resource.LogicalResourceId}`, resource.PhysicalResourceId);
    }
  }
  return ids;
}

/** A stack's template (by name or ARN); CliError when it is not JSON. */
async function readTemplate(cloudformation: CloudFormationClient, stack: string): Promise<TemplateDocument> {
  const { TemplateBody } = await cloudformation.send(new GetTemplateCommand({ StackName: stack }));
  try {
    return JSON.parse(TemplateBody ?? '{}') as TemplateDocument;
  } catch {
    throw new CliError(`stack ${stack}'s template is not JSON (a YAML template?); taskgate reads the JSON templates that cdk deploy uploads`);
  }
}

function notFound(name: string, region: string): CliError {
  return new CliError(`stack ${name} not found in ${region}; check --stack and AWS_REGION (aws cloudformation list-stacks), or deploy it with npx cdk deploy`);
}
