import { config, safeParse } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';
import { ConfigurationError, PermanentError } from './errors';
import type { AnyTask } from './task';

// zod/mini ships no messages ("Invalid input"); the English locale says what was expected. Only
// this one locale is imported so the worker bundle stays small.
config(en());

/**
 * The tasks of one app by name. The worker routes with it, the CLI checks payloads with it and the
 * constructs size gates with it, so all three always agree.
 */
export class TaskRegistry<T extends AnyTask = AnyTask> {
  private readonly byName = new Map<string, T>();

  constructor(tasks: readonly T[]) {
    for (const task of tasks) {
      if (this.byName.has(task.name)) {
        throw new ConfigurationError(`task ${task.name} is defined twice; task names must be unique`);
      }
      this.byName.set(task.name, task);
    }
  }

  /** Every task, in definition order. */
  all(): T[] {
    return [...this.byName.values()];
  }

  /** The tasks that run behind one gate. */
  onGate(gate: string): T[] {
    return this.all().filter((task) => task.gate === gate);
  }

  /** The gate names the tasks use. */
  gates(): string[] {
    return [...new Set(this.all().map((task) => task.gate))];
  }

  find(name: string): T | undefined {
    return this.byName.get(name);
  }

  /** The task, or a `PermanentError` that names the closest known task. */
  get(name: string): T {
    const task = this.byName.get(name);
    if (task) return task;
    throw new PermanentError(this.unknownTaskMessage(name), { reason: 'unknown-task' });
  }

  /** "unknown task" with the closest known name, for every place that looks a task up. */
  unknownTaskMessage(name: string): string {
    const names = [...this.byName.keys()];
    const suggestion = closest(name, names);
    return `unknown task "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known tasks: ${names.join(', ')}`;
  }

  /** The parsed payload, or a `PermanentError` whose message lists every bad field. */
  parsePayload(task: T, payload: unknown): unknown {
    const result = safeParse(task.payload, payload);
    if (result.success) return result.data;
    const problems = payloadIssues(result.error.issues).map((issue) => `${issue.field}: ${issue.message}`);
    throw new PermanentError(`payload for task ${task.name} fails its schema: ${problems.join('; ')}`, {
      reason: 'invalid-payload',
    });
  }

  /** What is wrong with a payload, field by field (`a.b`, or `(payload)` for the whole); empty when it passes. */
  checkPayload(task: T, payload: unknown): PayloadIssue[] {
    const result = safeParse(task.payload, payload);
    return result.success ? [] : payloadIssues(result.error.issues);
  }
}

/** One field a payload gets wrong, as the CLI prints it and the operator page shows it on the field. */
export interface PayloadIssue {
  readonly field: string;
  readonly message: string;
}

/** zod's issues as fields at fault (`a.b`, or `(payload)` for the whole). */
export function payloadIssues(issues: ReadonlyArray<{ readonly path: readonly PropertyKey[]; readonly message: string }>): PayloadIssue[] {
  return issues.map((issue) => ({ field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(payload)', message: issue.message }));
}

/** The name within a small edit distance of `name`, for "did you mean" hints. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
