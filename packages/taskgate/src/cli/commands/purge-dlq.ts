import * as readline from 'node:readline/promises';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { queueCounts } from '../dead-letters';
import { CliError } from '../errors';
import { CLI } from '../format';
import { resolveTarget } from '../target';

/** `taskgate purge-dlq <gate>`: deletes a gate's dead letters for good, after a confirmation. */
export function registerPurgeDlq(program: Command): void {
  program
    .command('purge-dlq')
    .summary('Delete a gate\'s dead letters for good (asks first)')
    .description("Delete every dead letter of a gate for good (SQS PurgeQueue). Asks for confirmation; --yes for scripts.")
    .argument('<gate>', `the gate (see ${CLI} status)`)
    .option('--yes', 'do not ask: purge')
    .addHelpText('after', `\nExample:\n  $ ${CLI} dlq email-api && ${CLI} purge-dlq email-api`)
    .action(async (gateName: string, options: { yes?: boolean }, command: Command) => {
      const target = await resolveTarget(command.optsWithGlobals());
      const gate = target.gate(gateName);
      const counts = await queueCounts(target.sqs, gate.dlqUrl);
      const count = counts.visible + counts.inFlight + counts.delayed;
      if (count === 0) {
        console.log(`gate ${gate.name}'s DLQ is empty; nothing to purge`);
        return;
      }
      if (!options.yes) {
        if (!process.stdin.isTTY) {
          throw new CliError(`purge-dlq deletes ${count} dead letter(s) of gate ${gate.name} for good; pass --yes to confirm when not at a terminal`);
        }
        const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
        const answer = await prompt.question(`Delete ${count} dead letter(s) of gate ${gate.name} for good? Type the gate name to confirm: `);
        prompt.close();
        if (answer.trim() !== gate.name) throw new CliError('not confirmed; nothing was purged');
      }
      await target.sqs.send(new PurgeQueueCommand({ QueueUrl: gate.dlqUrl }));
      console.log(`purged ${count} dead letter(s) of gate ${gate.name} (SQS may take up to 60 s to finish a purge)`);
    });
}
