import type { Command } from 'commander';
import { runtimeCommand, runtimeOptionsOf } from '../../local/options';
import { findAppRoot } from '../app-tasks';
import { CliError } from '../errors';

/**
 * `taskgate dev`: the embedded runtime (no Docker, no AWS account) of the CDK app in the current
 * folder. The runtime's modules load only here, so the other commands start without them.
 */
export function registerDev(program: Command): void {
  program.addCommand(
    runtimeCommand('dev')
      .summary('Run the CDK app of this folder locally: embedded SQS and DynamoDB, the real worker bundles, the schedules.')
      .action(async (raw: Record<string, unknown>, command: Command) => {
        // `--region` is also the program's (for --stack), and Commander gives it to the program.
        const region = command.parent?.opts<{ region?: string }>().region;
        const options = runtimeOptionsOf(region ? { ...raw, region } : raw);
        // An --app command runs where it was typed; cdk.json's runs in cdk.json's folder, as `cdk synth` does.
        const root = options.app ? process.cwd() : findAppRoot();
        if (!root) throw new CliError(`no cdk.json in ${process.cwd()} or above; run taskgate dev in your CDK app's folder, or pass --app "<command>"`);
        const { startDev } = await import('../../local/start.js');
        try {
          await startDev(root, options);
        } catch (error) {
          // A failed start (a port taken, a synth error) is the user's to fix: one line, no stack.
          throw error instanceof CliError ? error : new CliError((error as Error).message);
        }
      }),
  );
}
