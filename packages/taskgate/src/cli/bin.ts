#!/usr/bin/env node
import { printable } from '../core/printable';
import { hideSdkNodeWarning } from '../local/sdk-warning';
import { CliError } from './errors';
import { buildProgram } from './program';

// Before any SDK client exists: the notice would follow every one-line error.
hideSdkNodeWarning();

// A reader that went away (`taskgate status | head -2`) ends the command quietly, as SIGPIPE ends
// other Unix tools; without a listener the failed write would print a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Expected failures are one line of what to do; anything else keeps its stack for a bug report.
    if (error instanceof CliError) {
      // The message may quote a task name, id or error that came from a message: escaped, on one line.
      console.error(`taskgate: ${printable(error.message)}`);
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  });
