import * as path from 'node:path';
import { synthesize } from './synth';
import { readTemplate, type AppModel } from './template';

/**
 * `npm start` (for now): synthesizes the app as `cdk deploy` would and prints what it would run —
 * the gates, their queues and workers, and every schedule. The embedded runtime that runs them
 * takes over this command.
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const assembly = await synthesize(root, path.join(root, '.taskgate', 'cdk.out'));
  for (const stack of assembly.stacks) print(readTemplate(stack.templateFile, stack.name));
}

function print(model: AppModel): void {
  const out: string[] = [`stack ${model.stackName}`, '', 'gates (queue -> worker):'];
  for (const mapping of model.mappings) {
    const queue = model.queues.get(mapping.queue)!;
    const fn = model.functions.get(mapping.function)!;
    const gate = fn.gate ?? fn.cdkPath;
    out.push(
      `  ${gate.padEnd(14)} concurrency ${mapping.maxConcurrency ?? 'unlimited'}, batch ${mapping.batchSize}, ` +
        `timeout ${fn.timeoutSeconds}s, visibility ${queue.visibilityTimeoutSeconds}s, DLQ after ${queue.redrive?.maxReceiveCount ?? '-'} receives` +
        `${queue.fifo ? ', FIFO' : ''}${fn.assetPath ? '' : ' (not bundled)'}`,
    );
  }
  out.push('', 'schedules:');
  for (const trigger of [...model.rules, ...model.schedules]) {
    out.push(`  ${trigger.name.padEnd(26)} ${String(trigger.task).padEnd(26)} ${trigger.expression} ${trigger.timeZone}${trigger.enabled ? '' : ' (disabled)'} [${trigger.kind}]`);
  }
  for (const warning of model.warnings) out.push(`warning: ${warning}`);
  console.log(out.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`taskgate: ${(error as Error).message}`);
  process.exitCode = 1;
});
