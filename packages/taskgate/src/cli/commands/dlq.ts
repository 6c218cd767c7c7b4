import type { Command } from 'commander';
import { peekDeadLetters } from '../dead-letters';
import { CLI, clip, formatTime, paint, printJson, table } from '../format';
import { resolveTarget } from '../target';
import { parseCount } from '../time';

/** `taskgate dlq <gate>`: the gate's dead letters with their reasons, without consuming them. */
export function registerDlq(program: Command): void {
  program
    .command('dlq')
    .summary('List a gate\'s dead letters with their reasons')
    .description(
      "List a gate's dead letters (task, reason, error, attempts, failed at, body) without consuming them: each is received with a 30 s visibility and made visible again at once. This raises its receive count on the DLQ, which is harmless there.",
    )
    .argument('<gate>', `the gate (see ${CLI} status)`)
    .option('--limit <n>', 'list at most n dead letters', '100')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', `\nExample:\n  $ ${CLI} dlq email-api\n  $ ${CLI} dlq email-api --json | jq -r ".[] | .reason" | sort | uniq -c`)
    .action(async (gateName: string, options: { limit: string; json?: boolean }, command: Command) => {
      const limit = parseCount(options.limit, '--limit');
      const target = await resolveTarget(command.optsWithGlobals());
      const gate = target.gate(gateName);
      const letters = await peekDeadLetters(target.sqs, gate.dlqUrl, { limit, longPoll: target.kind === 'aws' });
      if (options.json) {
        printJson(letters);
        return;
      }
      if (letters.length === 0) {
        console.log(`no dead letters in gate ${gate.name}'s DLQ`);
        return;
      }
      console.log(
        table(
          ['FAILED AT', 'TASK', 'REASON', 'ATTEMPTS', 'ERROR', 'BODY'],
          letters.map((letter) => [
            formatTime(letter.failedAt ?? letter.sentAt),
            clip(letter.task, 40),
            paint('red', clip(letter.reason, 30)),
            letter.attempts === undefined ? '-' : String(letter.attempts),
            clip(letter.error, 60),
            clip(letter.body, 60),
          ]),
        ),
      );
      console.log(paint('gray', `${letters.length} dead letter(s)${letters.length === limit ? ` (the first ${limit}; --limit for more)` : ''}; move them back with ${CLI} redrive ${gate.name}`));
    });
}
