import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';
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
  ) {}

  /** Reads the stack; a stack that does not exist is a CliError naming the region looked in. */
  static async load(cloudformation: CloudFormationClient, name: string): Promise<DeployedStack> {
    const region = await cloudformation.config.region();
    let outputs: Map<string, string>;
    try {
      const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: name }));
      const stack = Stacks[0];
      if (!stack) throw notFound(name, region);
      outputs = new Map((stack.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey!, o.OutputValue!]));
    } catch (error) {
      // CloudFormation says "Stack with id X does not exist" as a generic ValidationError; the
      // message is the only thing that tells it apart from a malformed request.
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) throw notFound(name, region);
      throw error;
    }
    const { TemplateBody } = await cloudformation.send(new GetTemplateCommand({ StackName: name }));
    let template: TemplateDocument;
    try {
      template = JSON.parse(TemplateBody ?? '{}') as TemplateDocument;
    } catch {
      throw new CliError(`stack ${name}'s template is not JSON (a YAML template?); taskgate reads the JSON templates that cdk deploy uploads`);
    }
    return new DeployedStack(name, region, outputs, template, modelFromTemplate(template, name), cloudformation);
  }

  /** The same stack seen through `model`: the resources of one of its Taskgates. */
  withModel(model: AppModel): DeployedStack {
    return new DeployedStack(this.name, this.region, this.outputs, this.template, model, this.cloudformation);
  }

  /** An output's value, or a CliError naming the output and what to do. */
  output(key: string, what: string): string {
    const value = this.outputs.get(key);
    if (value === undefined) {
      throw new CliError(`stack ${this.name} has no output ${key} (${what}); redeploy it with this version of taskgate (npx cdk deploy)`);
    }
    return value;
  }

  /** Logical id → physical id (a rule's or schedule's name), from ListStackResources. */
  physicalIds(): Promise<ReadonlyMap<string, string>> {
    this.physical ??= (async () => {
      const ids = new Map<string, string>();
      for await (const page of paginateListStackResources({ client: this.cloudformation }, { StackName: this.name })) {
        for (const resource of page.StackResourceSummaries ?? []) {
          if (resource.LogicalResourceId && resource.PhysicalResourceId) ids.set(resource.LogicalResourceId, resource.PhysicalResourceId);
        }
      }
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

function notFound(name: string, region: string): CliError {
  return new CliError(`stack ${name} not found in ${region}; check --stack and AWS_REGION (aws cloudformation list-stacks), or deploy it with npx cdk deploy`);
}
