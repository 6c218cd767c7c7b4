import type { Command } from 'commander';
import { resolveAppModels, type TargetOptions } from '../target';
import { printJson } from '../format';

/** `taskgate tasks`: every task with its gate, timeout, retry, misfire policy and payload schema. */
export function registerTasks(program: Command): void {
  program
    .command('tasks')
    .description("List the app's tasks (from its template): gate, timeout, retry and misfire policy, payload schema.")
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ taskgate tasks --json | jq -r ".[].name"')
    .action(async (options: { json?: boolean }, command: Command) => {
      const rows = (await resolveAppModels(command.optsWithGlobals<TargetOptions>())).flatMap((model) => model.tasks);
      if (options.json) {
        printJson(rows);
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
