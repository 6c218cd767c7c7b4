import { createSchedule, deleteSchedule, getSchedule, listSchedules, type DynamicSchedulesConfig, type DynamicScheduleView } from '../client/schedules';
import { dynamicScheduleSpec } from '../core/dynamic-schedule';
import { DynamicScheduleError } from '../core/dynamic-schedule-error';
import { parseSchedule } from '../core/schedule-expression';
import type { ApiRequest, ApiResponse, Route } from './http';

/** Next fire times each schedule shows. */
const NEXT_COUNT = 3;

/**
 * The request API's routes for schedules created at run time, over EventBridge Scheduler (AWS's,
 * or the embedded runtime's at its control URL):
 *
 * - `PUT /schedules/{name}` `{ task, expression, timeZone?, payload?, enabled? }` → 201 (created)
 *   or 200 (replaced) with the schedule; 400 `{ error }` naming what is wrong (an expression error
 *   carries the corrected expression)
 * - `GET /schedules/{name}` → the schedule and its next fire times; 404 for an unknown name
 * - `GET /schedules?prefix=&limit=&nextToken=` → `{ schedules, nextToken? }`
 * - `DELETE /schedules/{name}` → 204; 404 for an unknown name
 *
 * The query string is read from `path` (API Gateway's `rawPath?rawQueryString`).
 *
 * @example
 * const routes = scheduleRoutes(() => ({ scheduler, group, roleArn, queues, registry }));
 */
export function scheduleRoutes(config: () => DynamicSchedulesConfig | Promise<DynamicSchedulesConfig>): Route[] {
  return [
    {
      method: 'PUT',
      path: '/schedules/{name}',
      handle: (request, params) =>
        answer(async () => {
          const { schedule, created } = await createSchedule(await config(), params.name ?? '', dynamicScheduleSpec(jsonBody(request)), { replace: true });
          return { status: created ? 201 : 200, body: withNext(schedule) };
        }),
    },
    {
      method: 'GET',
      path: '/schedules/{name}',
      handle: (_request, params) => answer(async () => ({ status: 200, body: withNext(await getSchedule(await config(), params.name ?? '')) })),
    },
    {
      method: 'GET',
      path: '/schedules',
      handle: (request) =>
        answer(async () => {
          const query = queryOf(request);
          const limit = query.get('limit');
          const page = await listSchedules(await config(), {
            ...(query.get('prefix') ? { prefix: query.get('prefix')! } : {}),
            ...(limit !== null ? { limit: Number(limit) } : {}),
            ...(query.get('nextToken') ? { nextToken: query.get('nextToken')! } : {}),
          });
          return { status: 200, body: { schedules: page.schedules.map(withNext), ...(page.nextToken ? { nextToken: page.nextToken } : {}) } };
        }),
    },
    {
      method: 'DELETE',
      path: '/schedules/{name}',
      handle: (_request, params) =>
        answer(async () => {
          await deleteSchedule(await config(), params.name ?? '');
          return { status: 204, body: null };
        }),
    },
  ];
}

/** The handler's answer; a DynamicScheduleError is its status and one line, anything else is thrown for the router's 500. */
async function answer(handle: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof DynamicScheduleError) return { status: error.status, body: { error: error.message } };
    throw error;
  }
}

function jsonBody(request: ApiRequest): unknown {
  try {
    return JSON.parse(request.body === '' ? '{}' : request.body);
  } catch (error) {
    throw new DynamicScheduleError('invalid', `the body is not JSON (${(error as Error).message}); send {"task":"…","expression":"…"}`);
  }
}

function queryOf(request: ApiRequest): URLSearchParams {
  const at = request.path.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : request.path.slice(at + 1));
}

/** The view with its next fire times from the one evaluator (none when paused or past). */
function withNext(schedule: DynamicScheduleView): DynamicScheduleView & { readonly next: string[] } {
  if (!schedule.enabled) return { ...schedule, next: [] };
  try {
    const parsed = parseSchedule(schedule.expression, { timeZone: schedule.timeZone, target: 'scheduler', allowPast: true });
    return { ...schedule, next: parsed.upcoming(new Date(), NEXT_COUNT).map((at) => at.toISOString()) };
  } catch {
    // Made by other means with an expression the evaluator refuses: shown without next times.
    return { ...schedule, next: [] };
  }
}
