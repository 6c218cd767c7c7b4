import { TaskgateError } from '../core/errors';

/** A CLI failure: printed as one line (`taskgate: <message>`), exit code `exitCode`. */
export class CliError extends TaskgateError {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
