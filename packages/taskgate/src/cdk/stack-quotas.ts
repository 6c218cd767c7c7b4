import { CfnOutput, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** CloudFormation's and EventBridge's quotas a Taskgate checks at synth, each per stack (rules: per event bus). */
export const STACK_QUOTAS = {
  resources: 500,
  outputs: 200,
  parameters: 200,
  mappings: 200,
  /** EventBridge's default quota of rules on one event bus (an account's default bus in a region). */
  rules: 300,
} as const;

/** What one stack holds, counted as CloudFormation counts it. */
export interface StackCount {
  readonly stack: Stack;
  readonly resources: number;
  readonly outputs: number;
  readonly parameters: number;
  readonly rules: number;
}

/** Counts the resources, outputs, parameters and EventBridge rules each stack under `root` (itself, its nested stacks) holds. */
export function countStacks(root: Stack): StackCount[] {
  const counts = new Map<Stack, { resources: number; outputs: number; parameters: number; rules: number }>();
  const of = (construct: IConstruct) => {
    const stack = Stack.of(construct);
    let count = counts.get(stack);
    if (!count) counts.set(stack, (count = { resources: 0, outputs: 0, parameters: 0, rules: 0 }));
    return count;
  };
  for (const construct of root.node.findAll()) {
    if (construct instanceof CfnResource) {
      const count = of(construct);
      count.resources += 1;
      if (construct.cfnResourceType === 'AWS::Events::Rule') count.rules += 1;
    } else if (construct instanceof CfnOutput) of(construct).outputs += 1;
    else if (construct instanceof CfnParameter) of(construct).parameters += 1;
  }
  return [...counts].map(([stack, count]) => ({ stack, ...count }));
}

/**
 * The quotas the stacks under `root` exceed, each a sentence saying which and what to do (`fix`).
 * Counted before the nested stacks' cross-stack parameters and outputs are added, which taskgate
 * keeps to a handful per gate stack.
 */
export function quotaErrors(root: Stack, fix: string): string[] {
  const errors: string[] = [];
  let rules = 0;
  for (const count of countStacks(root)) {
    const name = count.stack.nestedStackParent ? `nested stack ${count.stack.node.path}` : `stack ${count.stack.stackName}`;
    for (const what of ['resources', 'outputs', 'parameters'] as const) {
      if (count[what] > STACK_QUOTAS[what]) errors.push(`${name} holds ${count[what]} ${what}, above CloudFormation's ${STACK_QUOTAS[what]} per stack; ${fix}`);
    }
    rules += count.rules;
  }
  if (rules > STACK_QUOTAS.rules) errors.push(`stack ${root.stackName} has ${rules} EventBridge rules, above the ${STACK_QUOTAS.rules} rules an event bus takes; ${fix}`);
  return errors;
}
