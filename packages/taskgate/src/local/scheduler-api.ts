import { SchedulerApiError, type ScheduleRequest, type StoredSchedule } from './once-schedule-request';
import type { OnceSchedules } from './once-schedules';

/** One HTTP answer of the Scheduler API. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const SCHEDULE = /^\/schedules\/([^/]+)$/;
const IMPLEMENTED = 'CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule and ListSchedules';
/** ListSchedules' page size when MaxResults is not given (AWS's largest). */
const MAX_RESULTS = 100;

/** Whether a path is EventBridge Scheduler's (`/schedules…`, `/schedule-groups…`, `/tags/…`). */
export function isSchedulerApiPath(pathname: string): boolean {
  return pathname === '/schedules' || pathname.startsWith('/schedules/') || pathname.startsWith('/schedule-groups') || pathname.startsWith('/tags/');
}

/**
 * Whether a request is an EventBridge Scheduler SDK call: SigV4-signed for the `scheduler` service
 * (its credential scope ends `/scheduler/aws4_request`). The request API's `PUT|GET|DELETE
 * /schedules/{name}` share Scheduler's paths on the control URL; they come unsigned (or signed for
 * `execute-api`), so the signature's scope tells the two apart.
 */
export function isSchedulerSdkRequest(authorization: string | undefined): boolean {
  return /Credential=[^,\s]*\/scheduler\/aws4_request/.test(authorization ?? '');
}

/**
 * EventBridge Scheduler's REST-JSON wire protocol (what `@aws-sdk/client-scheduler` sends), over
 * the embedded runtime's one-time schedules:
 *
 * - CreateSchedule `POST /schedules/{Name}` (body: the input without Name) → `{ ScheduleArn }`
 * - UpdateSchedule `PUT /schedules/{Name}` → `{ ScheduleArn }`
 * - GetSchedule `GET /schedules/{Name}?groupName=` → the schedule, dates in epoch seconds
 * - DeleteSchedule `DELETE /schedules/{Name}?groupName=&clientToken=` → `{}`
 * - ListSchedules `GET /schedules?ScheduleGroup=&NamePrefix=&State=&MaxResults=&NextToken=` → `{ Schedules, NextToken }`
 *
 * Errors carry the type in `x-amzn-errortype` and `{ Message }` in the body, from which the SDK
 * builds ConflictException, ResourceNotFoundException, ValidationException and so on.
 *
 * @example
 * const answer = handleSchedulerApi(schedules, 'GET', new URL('http://h/schedules/x?groupName=default'), '');
 */
export function handleSchedulerApi(schedules: OnceSchedules, method: string, url: URL, body: string): WireResponse {
  try {
    return route(schedules, method, url, body);
  } catch (error) {
    if (error instanceof SchedulerApiError) return errorResponse(error.status, error.type, error.message);
    throw error;
  }
}

/** The answer for a Scheduler path where no Scheduler API is served (the LocalStack target). */
export function schedulerApiUnavailable(why: string): WireResponse {
  return errorResponse(501, 'NotImplementedException', why);
}

function route(schedules: OnceSchedules, method: string, url: URL, body: string): WireResponse {
  const one = SCHEDULE.exec(url.pathname);
  if (one) {
    const name = decodeURIComponent(one[1]!);
    const groupName = url.searchParams.get('groupName') ?? undefined;
    switch (method) {
      case 'POST':
        return json(200, { ScheduleArn: schedules.create(name, requestBody(body)) });
      case 'PUT':
        return json(200, { ScheduleArn: schedules.update(name, requestBody(body)) });
      case 'GET':
        return json(200, wireSchedule(schedules.get(name, groupName)));
      case 'DELETE':
        schedules.delete(name, groupName);
        return json(200, {});
    }
  }
  if (url.pathname === '/schedules' && method === 'GET') {
    const maxResults = url.searchParams.has('MaxResults') ? Number(url.searchParams.get('MaxResults')) : MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
      throw SchedulerApiError.validation(`MaxResults must be an integer between 1 and ${MAX_RESULTS} (given ${url.searchParams.get('MaxResults')})`);
    }
    const all = schedules.list({
      group: url.searchParams.get('ScheduleGroup') ?? undefined,
      namePrefix: url.searchParams.get('NamePrefix') ?? undefined,
      state: url.searchParams.get('State') ?? undefined,
    });
    const token = url.searchParams.get('NextToken');
    const start = token === null ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0) throw SchedulerApiError.validation(`NextToken ${token} is not one this server gave`);
    const page = all.slice(start, start + maxResults);
    return json(200, {
      Schedules: page.map((s) => ({
        Arn: s.Arn,
        Name: s.Name,
        GroupName: s.GroupName,
        State: s.State,
        CreationDate: epochSeconds(s.CreationDate),
        LastModificationDate: epochSeconds(s.LastModificationDate),
        Target: { Arn: s.Target.Arn },
      })),
      ...(start + maxResults < all.length ? { NextToken: String(start + maxResults) } : {}),
    });
  }
  throw SchedulerApiError.other(
    400,
    'UnknownOperationException',
    `${method} ${url.pathname} is not an operation the embedded runtime's Scheduler API implements; it implements ${IMPLEMENTED} (schedule groups come from the template)`,
  );
}

function requestBody(body: string): ScheduleRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body === '' ? '{}' : body);
  } catch (error) {
    throw SchedulerApiError.other(400, 'SerializationException', `the request body is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw SchedulerApiError.other(400, 'SerializationException', 'the request body must be a JSON object');
  return parsed as ScheduleRequest;
}

/** GetSchedule's output: the stored fields, dates as epoch seconds (REST-JSON's default timestamp format). */
function wireSchedule(schedule: StoredSchedule): object {
  return { ...schedule, CreationDate: epochSeconds(schedule.CreationDate), LastModificationDate: epochSeconds(schedule.LastModificationDate) };
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function json(status: number, body: object): WireResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function errorResponse(status: number, type: string, message: string): WireResponse {
  return { status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': type }, body: JSON.stringify({ Message: message }) };
}
