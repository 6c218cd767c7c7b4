#!/usr/bin/env node
import { CliError } from './errors';
import { buildProgram } from './program';

// The SDK's Node 20 end-of-support notice is for the runtime, not for an operator's terminal; it
// would follow every one-line error. The deployed workers run on Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
