import { fromJSONSchema, safeParse, type ZodType } from 'zod';
import { closest, payloadIssues, type PayloadIssue } from '../core/registry';
import type { TaskMetadata } from '../core/task-metadata';

/**
 * The tasks the request API accepts, read from the `taskgate:tasks` metadata the constructs write
 * (bundled into the API function, read from the template by the embedded runtime): names, gates
 * and payload JSON Schemas, without the tasks' code. What JSON Schema cannot say (a refinement, a
 * transform) is left to the worker, which refuses such a payload with reason invalid-payload.
 */
export class TaskCatalog {
  private readonly byName: ReadonlyMap<string, TaskMetadata>;
  private readonly schemas = new Map<string, ZodType>();

  constructor(tasks: readonly TaskMetadata[]) {
    this.byName = new Map(tasks.map((task) => [task.name, task]));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  find(name: string): TaskMetadata | undefined {
    return this.byName.get(name);
  }

  /** "unknown task" with the closest known name, as the registry words it. */
  unknownTaskMessage(name: string): string {
    const names = this.names();
    const suggestion = closest(name, names);
    return `unknown task "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known tasks: ${names.join(', ') || 'none'}`;
  }

  /** What is wrong with a payload, field by field; empty when the task's JSON Schema accepts it. */
  checkPayload(task: TaskMetadata, payload: unknown): PayloadIssue[] {
    let schema = this.schemas.get(task.name);
    if (!schema) {
      // Built on first use: a cold start pays only for the tasks it is asked for.
      schema = fromJSONSchema(task.payload as Parameters<typeof fromJSONSchema>[0]);
      this.schemas.set(task.name, schema);
    }
    const result = safeParse(schema, payload);
    return result.success ? [] : payloadIssues(result.error.issues);
  }
}
