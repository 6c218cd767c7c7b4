import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { dynamicSchedulesConfigFromEnv, type DynamicSchedulesConfig } from '../client/schedules';
import { ConfigurationError } from '../core/errors';
import { tasksFromMetadata } from '../core/metadata-tasks';
import { TaskRegistry } from '../core/registry';
import type { TaskMetadata } from '../core/task-metadata';
import { WORKER_HTTP_OPTIONS } from '../worker/http-options';
import type { Route } from './http';
import { scheduleRoutes } from './schedule-routes';

/**
 * The schedule routes of the API's Lambda function, over EventBridge Scheduler in the function's
 * region and the environment `Taskgate.grantDynamicSchedules` sets on it. The config is built on
 * the first schedule request, so that a cold start for `POST /tasks` pays nothing for it.
 *
 * @example
 * exports.handler = createApiHandler(tasks, { routes: () => scheduleRoutesFromEnv(tasks) });
 */
export function scheduleRoutesFromEnv(tasks: readonly TaskMetadata[], env: NodeJS.ProcessEnv = process.env): Route[] {
  let config: DynamicSchedulesConfig | undefined;
  return scheduleRoutes(() => {
    try {
      config ??= dynamicSchedulesConfigFromEnv({
        registry: new TaskRegistry(tasksFromMetadata(tasks)),
        scheduler: new SchedulerClient({ requestHandler: WORKER_HTTP_OPTIONS }),
        env,
      });
    } catch (error) {
      // The function's environment, not the caller's request, is at fault: a logged 500, not a 400.
      throw new ConfigurationError((error as Error).message, { cause: error });
    }
    return config;
  });
}
