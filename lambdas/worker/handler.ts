import { tasks } from '../tasks';
import { createHandler } from '../../packages/taskgate/src/worker/create-handler';

/** The worker bundled into every gate's function of the example app. */
export const handler = createHandler(tasks);
