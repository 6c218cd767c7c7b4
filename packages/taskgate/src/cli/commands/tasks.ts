import type { Command } from 'commander';
import { resolveAppModels, type TargetOptions } from '../target';
import { CLI, paint, printJson, table } from '../format';
import { summarizePayload } from '../payload-summary';
import type { WebhookUrl } from '../../core/webhook-url';

/** Where a webhook task sends, as its template says: the URL, or where each deployment reads it. */
function webhookTarget(url: WebhookUrl): string {
  if (typeof url === 'string') return url;
  return url.from === 'env' ? `the URL in $${url.name}` : `the URL in SSM parameter ${url.parameter}`;
}

/** `taskgate tasks`: every task with its gate, timeout, retry, misfire policy and payload fields. */
export function registerTasks(program: Command): void {
  program
    .command('tasks')
    .description("List the app's tasks (from its template): gate, timeout, retry and misfire policy, payload fields (--json: the payload JSON Schema).")
    .option('--json', 'print JSON for scripts, with each payload as JSON Schema')
    .addHelpText('after', `
Example:
  $ ${CLI} tasks --json | jq -r ".[].name"`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const rows = (await resolveAppModels(command.optsWithGlobals<TargetOptions>())).flatMap((model) => model.tasks);
      if (options.json) {
        printJson(rows);
        return;
      }
      for (const [index, row] of rows.entries()) {
        if (index > 0) console.log('');
        const misfire = row.misfire.maxLatenessSeconds === undefined ? 'always run' : `skip if > ${row.misfire.maxLatenessSeconds}s late`;
        console.log(`${paint('bold', row.name)}  (gate ${row.gate}, timeout ${row.timeoutSeconds}s, ${row.retry.maxAttempts} attempts, ${misfire})`);
        if (row.description) console.log(`  ${row.description}`);
        if (row.webhook) console.log(`  webhook: ${row.webhook.method} to ${webhookTarget(row.webhook.url)}, signed (Standard Webhooks)`);
        const fields = summarizePayload(row.payload);
        if (fields.length === 0) {
          console.log('  payload: no fields');
          continue;
        }
        const lines = table(['PAYLOAD FIELD', 'TYPE', 'REQUIRED'], fields.map((field) => [field.name, field.type, [field.presence, field.description].filter(Boolean).join('; ')]));
        console.log(lines.replace(/^/gm, '  '));
      }
    });
}
