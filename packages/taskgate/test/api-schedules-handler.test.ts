import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHandler } from '../src/api/lambda-handler';
import { scheduleRoutesFromEnv } from '../src/api/schedule-routes-from-env';
import { DYNAMIC_SCHEDULES_ENV } from '../src/client/dynamic-schedules-env';
import { API_ENV, apiMocks, httpApiEvent, QUEUES, TASKS } from './helpers/api-events';

const GROUP = API_ENV[DYNAMIC_SCHEDULES_ENV.group];
const ROLE = API_ENV[DYNAMIC_SCHEDULES_ENV.roleArn];
const WEEKDAYS = 'cron(0 9 ? * MON-FRI *)';

describe('the request API Lambda handler: schedules created at run time', () => {
  let handler: ReturnType<typeof createApiHandler>;
  /** What Scheduler holds: CreateSchedule and UpdateSchedule write it, GetSchedule reads it back. */
  let stored: Map<string, CreateScheduleCommandInput>;
  const call = async (...args: Parameters<typeof httpApiEvent>) => {
    const result = await handler(httpApiEvent(...args));
    return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as Record<string, unknown> | null };
  };
  const notFound = () => new ResourceNotFoundException({ message: 'Schedule not found', Message: 'Schedule not found', $metadata: {} });

  beforeEach(() => {
    for (const mock of Object.values(apiMocks)) mock.reset();
    stored = new Map();
    apiMocks.scheduler.on(CreateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
      if (stored.has(input.Name!)) throw new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} });
      stored.set(input.Name!, input);
      return { ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/${input.GroupName}/${input.Name}` };
    });
    apiMocks.scheduler.on(UpdateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => (stored.set(input.Name!, input), {}));
    apiMocks.scheduler.on(GetScheduleCommand).callsFake(({ Name }: { Name: string }) => {
      const input = stored.get(Name);
      if (!input) throw notFound();
      return { ...input, Arn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/${input.GroupName}/${Name}` };
    });
    apiMocks.scheduler.on(ListSchedulesCommand).callsFake(({ NamePrefix = '' }: { NamePrefix?: string }) => ({
      Schedules: [...stored.keys()].filter((name) => name.startsWith(NamePrefix)).map((Name) => ({ Name, GroupName: GROUP })),
    }));
    apiMocks.scheduler.on(DeleteScheduleCommand).callsFake(({ Name }: { Name: string }) => {
      if (!stored.delete(Name)) throw notFound();
      return {};
    });
    // As the generated entry builds it (task-api.ts's apiEntryFile).
    handler = createApiHandler(TASKS, { env: API_ENV, routes: (_deps, env) => scheduleRoutesFromEnv(TASKS, env) });
  });

  it('PUT creates the schedule in the dynamic group, sending as the dynamic role to the task\'s queue (201), and replaces it on a repeat (200)', async () => {
    const spec = { task: 'send-reminders', expression: WEEKDAYS, timeZone: 'Europe/Berlin', payload: { market: 'de' } };
    const created = await call('PUT', '/schedules/customer-42-reminders', { body: JSON.stringify(spec) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'customer-42-reminders', task: 'send-reminders', payload: { market: 'de' }, expression: WEEKDAYS, timeZone: 'Europe/Berlin', enabled: true, group: GROUP });
    expect((created.body!.next as string[]).length).toBe(3);
    const [create] = apiMocks.scheduler.commandCalls(CreateScheduleCommand);
    expect(create!.args[0].input).toMatchObject({ Name: 'customer-42-reminders', GroupName: GROUP, ScheduleExpression: WEEKDAYS, Target: { Arn: QUEUES['email-api'].arn, RoleArn: ROLE } });

    const replaced = await call('PUT', '/schedules/customer-42-reminders', { body: JSON.stringify({ ...spec, payload: { market: 'at' } }) });
    expect(replaced).toMatchObject({ status: 200, body: { payload: { market: 'at' } } });
    expect(apiMocks.scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(1);
  });

  it('PUT answers 400 with the evaluator\'s corrected expression, or the payload field at fault, and calls nothing', async () => {
    const badCron = await call('PUT', '/schedules/bad', { body: JSON.stringify({ task: 'sweep', expression: 'cron(0 9 * * MON-FRI *)' }) });
    expect(badCron).toEqual({ status: 400, body: { error: "cron(0 9 * * MON-FRI *) sets day-of-week, so day-of-month must be '?': cron(0 9 ? * MON-FRI *)" } });
    const badPayload = await call('PUT', '/schedules/bad', { body: JSON.stringify({ task: 'send-reminders', expression: WEEKDAYS, payload: { market: 'fr' } }) });
    expect(badPayload.status).toBe(400);
    expect(badPayload.body!.error).toMatch(/market/);
    const unknown = await call('PUT', '/schedules/bad', { body: JSON.stringify({ task: 'swep', expression: WEEKDAYS }) });
    expect(unknown.body!.error).toMatch(/did you mean "sweep"/);
    expect(apiMocks.scheduler.calls()).toHaveLength(0);
  });

  it('GET reads one schedule (404 for an unknown name), GET /schedules lists by the query string\'s prefix and limit, DELETE removes one (204, then 404)', async () => {
    for (const name of ['customer-1', 'customer-2', 'other']) {
      expect((await call('PUT', `/schedules/${name}`, { body: JSON.stringify({ task: 'sweep', expression: 'rate(1 hour)' }) })).status).toBe(201);
    }
    expect(await call('GET', '/schedules/customer-1')).toMatchObject({ status: 200, body: { name: 'customer-1', task: 'sweep', expression: 'rate(1 hour)' } });
    expect((await call('GET', '/schedules/nobody')).status).toBe(404);

    const listed = await call('GET', '/schedules?prefix=customer-&limit=10');
    expect(listed.status).toBe(200);
    expect((listed.body!.schedules as Array<{ name: string }>).map((s) => s.name)).toEqual(['customer-1', 'customer-2']);
    expect(apiMocks.scheduler.commandCalls(ListSchedulesCommand)[0]!.args[0].input).toEqual({ GroupName: GROUP, MaxResults: 10, NamePrefix: 'customer-' });
    expect((await call('GET', '/schedules?limit=1000')).status).toBe(400);

    expect(await call('DELETE', '/schedules/customer-1')).toEqual({ status: 204, body: null });
    expect(apiMocks.scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ Name: 'customer-1', GroupName: GROUP });
    expect((await call('DELETE', '/schedules/customer-1')).status).toBe(404);
  });

  it('answers 500 without calling Scheduler when the function lacks the grant\'s environment (a deployment fault, not the caller\'s)', async () => {
    const { [DYNAMIC_SCHEDULES_ENV.group]: _group, ...withoutGrant } = API_ENV;
    handler = createApiHandler(TASKS, { env: withoutGrant, routes: (_deps, env) => scheduleRoutesFromEnv(TASKS, env) });
    expect((await call('GET', '/schedules/customer-1')).status).toBe(500);
    expect(apiMocks.scheduler.calls()).toHaveLength(0);
  });
});
