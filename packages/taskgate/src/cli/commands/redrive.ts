import type { Command } from 'commander';
import { redrive } from '../dead-letters';
import { CliError } from '../errors';
import { CLI, printJson } from '../format';
import { interruptSignal } from '../interrupt';
import { Progress } from '../progress';
import { resolveTarget } from '../target';
import { parseRate } from '../time';

/** `taskgate redrive <gate>`: moves the gate's dead letters back to its queue. */
export function registerRedrive(program: Command): void {
  program
    .command('redrive')
    .summary('Move a gate\'s dead letters back to its queue')
    .description(
      "Move a gate's dead letters back to its queue: an SQS message move task on AWS, a receive -> send -> delete loop on the embedded server (delete only after the send succeeded; Ctrl-C stops after the batch in flight). Bodies are kept byte for byte; taskgate's reason attributes are dropped.",
    )
    .argument('<gate>', `the gate (see ${CLI} status)`)
    .option('--rate <n/s>', 'messages per second at most, such as 10/s or 600/m (default: as fast as the server goes)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\nExample:\n  $ ${CLI} redrive email-api --rate 5/s`)
    .action(async (gateName: string, options: { rate?: string; json?: boolean }, command: Command) => {
      const rate = options.rate === undefined ? undefined : parseRate(options.rate);
      const target = await resolveTarget(command.optsWithGlobals());
      const gate = target.gate(gateName);
      const progress = new Progress(`redriving ${gate.name}`, undefined);
      const { signal, dispose } = interruptSignal();
      let result;
      try {
        result = await redrive(target.sqs, gate.dlqUrl, gate.queueUrl, {
          rate,
          signal,
          moveTasks: target.messageMoveTasks,
          onProgress: (moved, total) => progress.update(moved, total),
        });
      } finally {
        progress.stop();
        dispose();
      }
      if (options.json) printJson({ gate: gate.name, ...result });
      else {
        const how = result.method === 'message-move-task' ? 'with an SQS message move task' : 'by receive, send, delete';
        console.log(`moved ${result.moved} of ${result.total} dead letter(s) back to gate ${gate.name}'s queue ${how}${result.interrupted ? ' (interrupted; the rest stay in the DLQ)' : ''}`);
      }
      if (result.refused.length > 0) {
        throw new CliError(`${result.refused.length} message(s) were refused by the queue and stay in the DLQ: ${result.refused.slice(0, 3).join('; ')}`);
      }
    });
}
