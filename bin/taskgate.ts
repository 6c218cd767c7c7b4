#!/usr/bin/env -S npx tsx
import { CliError } from '../cli/errors';
import { buildProgram } from '../cli/program';
import { hideSdkNodeWarning } from '../local/sdk-warning';

// Before any SDK client exists: the notice would follow every one-line error.
hideSdkNodeWarning();

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Expected failures are one line of what to do; anything else keeps its stack for a bug report.
    if (error instanceof CliError) {
      console.error(`taskgate: ${error.message}`);
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  });
