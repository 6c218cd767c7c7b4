import * as fs from 'node:fs';
import { PermanentError } from '../core/errors';
import type { TaskRegistry } from '../core/registry';
import type { AnyTask } from '../core/task';
import { CliError } from './errors';
import { CLI } from './format';

/**
 * The task's payload from `--payload JSON` or `--payload @file`, checked against the task's schema
 * before anything is sent. Returns the payload as given (the worker applies defaults), so the
 * message says exactly what the user typed.
 */
export function readPayload(registry: TaskRegistry, task: AnyTask, option: string | undefined): Record<string, unknown> {
  let text = option ?? '{}';
  let where = '--payload';
  if (text.startsWith('@')) {
    where = text.slice(1);
    try {
      text = fs.readFileSync(where, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the payload file ${where} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give @path/to/payload.json`);
    }
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${where} is not JSON (${(error as Error).message}); give an object such as '{"market":"de"}' or @payload.json`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new CliError(`${where} must be a JSON object such as '{"market":"de"}'`);
  }
  try {
    registry.parsePayload(task, payload);
  } catch (error) {
    if (error instanceof PermanentError) throw new CliError(`${error.message}; see ${CLI} tasks for the schema`);
    throw error;
  }
  return payload as Record<string, unknown>;
}
