import type { Stack } from 'aws-cdk-lib';
import { ConfigurationError } from '../core/errors';
import type { TaskgateIdentity } from '../core/outputs';
import { checkTaskgateName } from './physical-names';

/**
 * The Taskgates of one stack: which one is the default (the first constructed, which keeps the
 * names a stack with one Taskgate always had), and every name each takes — its name for the CLI,
 * output keys, queue and rule names — so that two Taskgates whose names would meet fail the synth
 * naming both, before CloudFormation or CDK would ("Outputs already contains ...").
 */
export class StackTaskgates {
  private static readonly stacks = new WeakMap<Stack, StackTaskgates>();
  /** `what name` → the path of the Taskgate that took it. */
  private readonly taken = new Map<string, string>();
  private count = 0;

  static of(stack: Stack): StackTaskgates {
    let found = StackTaskgates.stacks.get(stack);
    if (!found) {
      found = new StackTaskgates();
      StackTaskgates.stacks.set(stack, found);
    }
    return found;
  }

  /**
   * The identity of a Taskgate constructed at `path` with construct id `id` and the `name` prop.
   * Another than the first carries its name in its resources' names, so that name must suit them.
   */
  register(path: string, id: string, name: string | undefined): TaskgateIdentity {
    const isDefault = this.count === 0;
    this.count += 1;
    if (name !== undefined) checkTaskgateName(`Taskgate ${path}`, 'name', name);
    else if (!isDefault) checkTaskgateName(`Taskgate ${path}`, "its construct id (the stack's first Taskgate keeps its names; any other is named by `name` or its id)", id);
    const identity = { name: name ?? id, default: isDefault };
    this.take(path, 'be named', identity.name);
    return identity;
  }

  /** Takes `name` for the Taskgate at `path`; throws, naming both, when another Taskgate of the stack has it. */
  take(path: string, what: string, name: string): void {
    const key = `${what} ${name}`;
    const other = this.taken.get(key);
    if (other !== undefined && other !== path) {
      throw new ConfigurationError(
        `Taskgate ${path} and Taskgate ${other} would both ${what} ${name}; give one of them another \`name\` (the stack's first Taskgate keeps its names; any other is named by \`name\` or its construct id)`,
      );
    }
    this.taken.set(key, path);
  }
}
