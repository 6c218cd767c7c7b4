import * as z from 'zod';
import { PermanentError } from './errors';
import { defineTask, type AnyTask } from './task';
import type { TaskMetadata } from './task-metadata';

/**
 * The app's tasks as the template's `taskgate:tasks` metadata describes them, without their code:
 * for whatever checks a payload before sending (the CLI, the request API's schedule routes). Each
 * payload schema is rebuilt from its JSON Schema; the worker checks it again with the task's own.
 */
export function tasksFromMetadata(metadata: readonly TaskMetadata[]): AnyTask[] {
  return metadata.map((task) =>
    defineTask({
      name: task.name,
      description: task.description,
      gate: task.gate,
      payload: z.fromJSONSchema(task.payload as z.core.JSONSchema.JSONSchema),
      timeout: task.timeoutSeconds,
      retry: task.retry,
      misfire: task.misfire,
      // A template synthesized before the option existed has none: the default applies.
      overlap: task.overlap,
      run: () => {
        throw new PermanentError(`task ${task.name} runs in its gate's worker, not here`);
      },
    }),
  );
}
