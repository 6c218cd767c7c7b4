import type { Command } from 'commander';
import { CliError } from '../errors';
import { CLI } from '../format';
import { interruptSignal } from '../interrupt';
import { resolveTarget, type TargetOptions } from '../target';

/**
 * `taskgate ui`: the operator page on 127.0.0.1 for the embedded runtime or a deployed stack
 * (read-only unless --allow-actions). The page's modules load only here.
 */
export function registerUi(program: Command): void {
  program
    .command('ui')
    .summary('The operator page: gates, schedules, runs, failures and actions, in the browser')
    .description(
      'Serve the operator page on 127.0.0.1 (never another interface): gates with a 30-minute chart, schedules, runs, failures grouped by cause, and actions (trigger, redrive, pause/resume, purge). For a deployed stack (--stack) it reads with your AWS credentials and is read-only unless --allow-actions. The embedded runtime (taskgate dev) serves the same page at its control URL.',
    )
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', '9401')
    .option('--allow-actions', 'with --stack: allow the page to trigger, redrive, pause/resume and purge (the embedded runtime always allows them)')
    .addHelpText('after', `\nExamples:\n  $ ${CLI} ui --stack MyApp\n  $ ${CLI} ui --stack MyApp --allow-actions --port 0`)
    .action(async (options: { port: string; allowActions?: boolean }, command: Command) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0-65535 (given "${options.port}")`);
      const target = await resolveTarget(command.optsWithGlobals<TargetOptions>());
      const actions = target.kind !== 'aws' || options.allowActions === true;
      const { UiActions, UiData, startUiServer } = await import('../../ui/index.js');
      const data = new UiData(target, { actions });
      let server;
      try {
        server = await startUiServer({ data, actions: actions ? new UiActions(data) : undefined, port });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} is taken; choose another with --port <port> (0 picks a free one)`);
        throw error;
      }
      for (const warning of target.warnings) console.error(`warning: ${warning}`);
      console.log(`taskgate ui for ${target.label}: ${server.url}  (${actions ? 'actions on' : 'read-only; --allow-actions to act'}; Ctrl-C to stop)`);
      const { signal, dispose } = interruptSignal();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      dispose();
      await server.close();
    });
}
