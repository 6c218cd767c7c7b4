import type { Command } from 'commander';
import { toJSONSchema } from 'zod/v4/core';
import { tasks } from '../../../../../lambdas/tasks';

/** `taskgate tasks`: every task with its gate, timeout, retry, misfire policy and payload schema. */
export function registerTasks(program: Command): void {
  program
    .command('tasks')
    .description('List the tasks of this app: gate, timeout, retry and misfire policy, payload schema.')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ taskgate tasks --json | jq -r ".[].name"')
    .action((options: { json?: boolean }) => {
      const rows = tasks.map((task) => ({
        name: task.name,
        gate: task.gate,
        description: task.description,
        timeoutSeconds: task.timeout,
        retry: task.retry,
        misfire: task.misfire,
        payload: toJSONSchema(task.payload, { io: 'input', unrepresentable: 'any' }),
      }));
      if (options.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      for (const row of rows) {
        const misfire = row.misfire.maxLatenessSeconds === undefined ? 'always run' : `skip if > ${row.misfire.maxLatenessSeconds}s late`;
        console.log(`${row.name}  (gate ${row.gate}, timeout ${row.timeoutSeconds}s, ${row.retry.maxAttempts} attempts, ${misfire})`);
        if (row.description) console.log(`  ${row.description}`);
        const properties = (row.payload as { properties?: Record<string, unknown> }).properties ?? {};
        for (const [field, schema] of Object.entries(properties)) console.log(`  payload.${field}: ${JSON.stringify(schema)}`);
      }
    });
}
