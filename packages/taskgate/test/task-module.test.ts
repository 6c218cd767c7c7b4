import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as z from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { METADATA_KEYS } from '../src/core/outputs';
import { defineTask } from '../src/core/task';
import { Taskgate } from '../src/cdk/taskgate';
import { checkServedTasks, workerEntryFile } from '../src/cdk/worker-entry';
import { tasks as fixtureTasks } from './fixtures/app/tasks';
import { FIXTURE_TASK_MODULE, FIXTURE_WORKER_ENTRY, fixtureTask, taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** An app that bundles its stacks, as `cdk synth` and `taskgate dev` do: the construct then loads the task module. */
function bundlingApp(): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-bundling-'));
  outdirs.push(outdir);
  return new App({ outdir, builtinCloudFormationValidation: false });
}

describe('the task module', () => {
  it('goes into every worker through one generated entry that calls createHandler with its `tasks`', () => {
    const entry = workerEntryFile('T', { taskModule: FIXTURE_TASK_MODULE });
    expect(entry).toMatch(/node_modules\/\.cache\/taskgate\/worker-[0-9a-f]{16}\.mjs$/);
    const code = fs.readFileSync(entry, 'utf8');
    expect(code).toContain(`import { tasks } from ${JSON.stringify(FIXTURE_TASK_MODULE)};`);
    expect(code).toMatch(/import \{ createHandler \} from ".*\/src\/worker\/create-handler\.ts";/);
    expect(code).toContain('export const handler = createHandler(tasks);');
    // The same module gives the same file: a second synth bundles the same entry.
    expect(workerEntryFile('T', { taskModule: FIXTURE_TASK_MODULE })).toBe(entry);
  });

  it('is loaded when the stack is bundled, and must export the tasks that were sized', () => {
    expect(() => checkServedTasks('T', fixtureTasks, { taskModule: FIXTURE_TASK_MODULE })).not.toThrow();
    expect(() => taskgateStack(bundlingApp(), { tasks: [fixtureTask('fixture-fast'), fixtureTask('report')] })).toThrow(
      `Taskgate Fixture/Taskgate: the taskModule ${FIXTURE_TASK_MODULE} serves other tasks than Taskgate's \`tasks\`: missing report; extra fixture-fail, fixture-slow, fixture-serial, fixture-wide, fixture-later, fixture-flaky, fixture-hang; different gate, timeout, retry, misfire or payload in fixture-fast; give Taskgate the list that module exports`,
    );
  });

  it('a custom workerEntry is checked the same way, through the tasks its createHandler serves', () => {
    expect(() => checkServedTasks('T', fixtureTasks, { workerEntry: FIXTURE_WORKER_ENTRY })).not.toThrow();
    expect(() => taskgateStack(bundlingApp(), { tasks: fixtureTasks.slice(1), workerEntry: FIXTURE_WORKER_ENTRY })).toThrow(
      /^Taskgate Fixture\/Taskgate: the workerEntry .*worker\.ts serves other tasks than Taskgate's `tasks`: extra fixture-fast;/,
    );
  });

  it('needs taskModule or workerEntry, one of them, each an existing file', () => {
    const stack = new Stack(testApp(), 'S');
    expect(() => new Taskgate(stack, 'None', { tasks: [fixtureTask('one')] })).toThrow(/^Taskgate S\/None: give taskModule .* or workerEntry/);
    expect(() => new Taskgate(stack, 'Both', { tasks: [fixtureTask('one')], taskModule: FIXTURE_TASK_MODULE, workerEntry: FIXTURE_WORKER_ENTRY })).toThrow(/one of them/);
    expect(() => new Taskgate(stack, 'Gone', { tasks: [fixtureTask('one')], taskModule: '/nonexistent/tasks.ts' })).toThrow('Taskgate S/Gone: taskModule /nonexistent/tasks.ts does not exist');
  });
});

describe('taskgate:tasks metadata', () => {
  it("describes each gate worker's tasks with their payload's JSON Schema, for zod and zod/mini alike", () => {
    const full = defineTask({
      name: 'send-report',
      gate: 'email',
      description: 'Mails the weekly report.',
      payload: z.object({ team: z.string(), weeks: z.int().min(1).default(1) }),
      timeout: 30,
      run: () => undefined,
    });
    const { stack } = taskgateStack(testApp(), { tasks: [full, fixtureTask('sweep')], gates: { email: {} } });
    const workers = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const described = workers.map((worker) => worker.Metadata[METADATA_KEYS.tasks]);
    expect(described).toContainEqual([
      {
        name: 'send-report',
        gate: 'email',
        description: 'Mails the weekly report.',
        timeoutSeconds: 30,
        retry: { maxAttempts: 5, minBackoffSeconds: 10, maxBackoffSeconds: 900 },
        misfire: { catchUp: 'all' },
        overlap: 'skip',
        payload: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          properties: { team: { type: 'string' }, weeks: { type: 'integer', minimum: 1, maximum: 9007199254740991, default: 1 } },
          required: ['team'],
        },
      },
    ]);
    expect(described).toContainEqual([expect.objectContaining({ name: 'sweep', gate: 'default', payload: expect.objectContaining({ properties: { n: expect.objectContaining({ type: 'integer', default: 1 }) } }) })]);
  });
});
