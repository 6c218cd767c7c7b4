import * as fs from 'node:fs';
import { unknownScheduleError, type ScheduleController } from '../cli/schedule-control';
import { localTarget } from '../cli/target';
import { UiActions } from '../ui/actions';
import { UiData } from '../ui/data';
import { uiRoutes, type UiRoutes } from '../ui/server';
import type { LocalConfig } from './local-config';
import type { OnceSchedules } from './once-schedules';
import type { Scheduler } from './scheduler';

/**
 * The operator page at the embedded runtime's control URL: the same page and data code as
 * `taskgate ui`, over the runtime's local.json, with actions on (it is the developer's own runtime)
 * and pause/resume going straight to the runtime's scheduler.
 */
export function runtimeUi(configFile: string, scheduler: Scheduler, onceSchedules: OnceSchedules | undefined, token: string): UiRoutes {
  // The page shows the app's first Taskgate (local.json's top level); `taskgate ui --taskgate NAME` shows another.
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Pick<LocalConfig, 'taskgates'>;
  const first = Object.keys(config.taskgates ?? {})[0];
  const data = new UiData(localTarget(configFile, first, { schedules: schedulesOf(scheduler, onceSchedules) }), { actions: true });
  return uiRoutes({ data, actions: new UiActions(data), token });
}

function schedulesOf(scheduler: Scheduler, onceSchedules: OnceSchedules | undefined): ScheduleController {
  return {
    list: async () =>
      [...scheduler.list(), ...(onceSchedules?.views() ?? [])].map((view) => ({
        name: view.name,
        task: view.task ?? undefined,
        kind: view.kind,
        expression: view.expression,
        timeZone: view.timeZone,
        enabled: view.enabled,
        next: view.next,
      })),
    setEnabled: async (name, enabled) => {
      const view = enabled ? scheduler.resume(name) : scheduler.pause(name);
      if (!view) throw unknownScheduleError(name, scheduler.names());
      return { name: view.name, enabled: view.enabled };
    },
  };
}
