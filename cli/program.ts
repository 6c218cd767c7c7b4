import { Command } from 'commander';
import { registerExplain } from './commands/explain';
import { registerTasks } from './commands/tasks';

/**
 * The `taskgate` operator CLI. Each command lives in `cli/commands/<name>.ts` and registers itself
 * here; a command that fails prints one line of what is wrong and what to do, and exits non-zero.
 */
export function buildProgram(): Command {
  const program = new Command('taskgate')
    .description('Operate taskgate: trigger tasks, inspect gates and runs, redrive dead letters.')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true });
  registerExplain(program);
  registerTasks(program);
  return program;
}
