import type { Command } from 'commander';
import { CLI, paint, printJson } from '../format';
import { resolveTarget } from '../target';

/** `taskgate pause <schedule>` and `taskgate resume <schedule>`: disable or enable one schedule. */
export function registerPauseResume(program: Command): void {
  for (const [verb, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    program
      .command(verb)
      .summary(`${enabled ? 'Resume' : 'Pause'} a schedule`)
      .description(
        `${enabled ? 'Resume' : 'Pause'} a schedule: ${enabled ? 'enable' : 'disable'} its EventBridge rule or Scheduler schedule (AWS), or tell the embedded runtime.${enabled ? '' : ' Messages already queued still run.'}`,
      )
      .argument('<schedule>', `the schedule name (see ${CLI} schedules)`)
      .option('--json', 'print JSON for scripts')
      .addHelpText('after', `\nExample:\n  $ ${CLI} ${verb} refresh-exchange-rates --stack MyApp`)
      .action(async (name: string, options: { json?: boolean }, command: Command) => {
        const target = await resolveTarget(command.optsWithGlobals());
        const state = await target.schedules.setEnabled(name, enabled);
        if (options.json) printJson(state);
        else console.log(`schedule ${state.name} is ${state.enabled ? paint('green', 'enabled') : paint('yellow', 'paused')}`);
      });
  }
}
