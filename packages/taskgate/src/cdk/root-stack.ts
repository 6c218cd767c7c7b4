import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The deployed stack `scope` belongs to: its own stack, or the top of the nested stacks it sits in.
 * Names taskgate derives from the stack (queues, rules, role paths) come from this one, so that a
 * gate in a nested stack keeps the names it has in the app's stack.
 */
export function rootStack(scope: IConstruct): Stack {
  let stack = Stack.of(scope);
  while (stack.nestedStackParent) stack = stack.nestedStackParent;
  return stack;
}
