import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import {
  registerBackfill,
  registerDev,
  registerDlq,
  registerExplain,
  registerHistory,
  registerPauseResume,
  registerPurgeDlq,
  registerRedrive,
  registerSchedules,
  registerStatus,
  registerTasks,
  registerTop,
  registerTrigger,
  registerUi,
} from './commands';

/**
 * The `taskgate` operator CLI. Each command lives in `cli/commands/<name>.ts` and registers itself
 * here; a command that fails prints one line of what is wrong and what to do, and exits non-zero.
 * The target options are the program's, so they go before or after the command name.
 */
export function buildProgram(): Command {
  // The package's own manifest: two folders up from src/cli and from dist/cli alike.
  const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  const program = new Command('taskgate')
    .version(version)
    .description('Operate taskgate: run the app locally, trigger tasks, inspect gates and runs, redrive dead letters.')
    .option('--stack <name>', 'a deployed stack: queues and the ledger from its outputs, standard AWS credential chain (env TASKGATE_STACK; AWS_ENDPOINT_URL for LocalStack)')
    .option('--local', 'the embedded runtime (taskgate dev); the default when a .taskgate/local.json is found from here up')
    .option('--local-config <path>', "the embedded runtime's local.json (env TASKGATE_LOCAL_CONFIG)")
    .option('--region <region>', 'AWS region for --stack (default: the SDK chain, AWS_REGION or the profile)')
    .option('--taskgate <name>', 'which Taskgate, where the stack (or the embedded runtime\'s app) has several (env TASKGATE_NAME)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true, showGlobalOptions: true });
  for (const register of [registerDev, registerExplain, registerTasks, registerTrigger, registerStatus, registerHistory, registerDlq, registerRedrive, registerPurgeDlq, registerPauseResume, registerSchedules, registerBackfill, registerTop, registerUi]) {
    register(program);
  }
  return program;
}
