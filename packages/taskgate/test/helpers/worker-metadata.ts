import { METADATA_KEYS } from '../../src/core/outputs';
import type { AnyTask } from '../../src/core/task';
import { taskMetadata } from '../../src/core/task-metadata';
import { tasks as fixtureTasks } from '../fixtures/app/tasks';

/** The fixture app's tasks on gate `default`: a stand-in stack with only that gate's queues runs them. */
export const DEFAULT_GATE_TASKS: readonly AnyTask[] = fixtureTasks.filter((task) => task.gate === 'default');

/**
 * A gate worker function as a deployed template describes it to the CLI: `taskgate:tasks` metadata
 * on an AWS::Lambda::Function (the CLI learns the app's tasks from it). `properties` for an
 * emulator that creates the function.
 */
export function workerFunctionResource(tasks: readonly AnyTask[], properties?: Record<string, unknown>): Record<string, unknown> {
  return {
    Type: 'AWS::Lambda::Function',
    Metadata: { [METADATA_KEYS.gate]: tasks[0]?.gate, [METADATA_KEYS.tasks]: tasks.map(taskMetadata) },
    ...(properties ? { Properties: properties } : {}),
  };
}
