import { TaskgateError } from './errors';

/** Why a schedule created at run time was refused or not found; the API answers with `status`. */
export type DynamicScheduleProblem = 'invalid' | 'not-found' | 'conflict';

const STATUS: Readonly<Record<DynamicScheduleProblem, number>> = { invalid: 400, 'not-found': 404, conflict: 409 };

/**
 * A schedule created at run time that cannot be created, found or changed: a bad name, task,
 * expression or payload (`invalid`), a name that is not there (`not-found`) or that is taken
 * (`conflict`). The message is one line saying what is wrong and what to do.
 */
export class DynamicScheduleError extends TaskgateError {
  override name = 'DynamicScheduleError';

  constructor(
    readonly problem: DynamicScheduleProblem,
    message: string,
  ) {
    super(message);
  }

  /** The HTTP status the request API answers with. */
  get status(): number {
    return STATUS[this.problem];
  }
}
