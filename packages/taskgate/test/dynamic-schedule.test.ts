import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, ResourceNotFoundException, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { ApiRequest, Route } from '../src/api/http';
import { scheduleRoutes } from '../src/api/schedule-routes';
import { dynamicSchedulesConfigFromEnv, type DynamicSchedulesConfig } from '../src/client/schedules';
import { dynamicScheduleSpec, planDynamicSchedule, renderTick } from '../src/core/dynamic-schedule';
import { TaskRegistry } from '../src/core/registry';
import { gateQueue } from '../src/core/send-path';
import { defineTask } from '../src/core/task';

const report = defineTask({ name: 'send-report', payload: z.object({ customerId: z.int() }), run: () => undefined });
const sync = defineTask({ name: 'sync-ledger', gate: 'serial', payload: z.object({}), run: () => undefined });
const registry = new TaskRegistry([report, sync]);
const QUEUES = {
  default: { url: 'https://sqs.eu-west-1.amazonaws.com/1/app-default', arn: 'arn:aws:sqs:eu-west-1:1:app-default' },
  serial: { url: 'https://sqs.eu-west-1.amazonaws.com/1/app-serial.fifo', arn: 'arn:aws:sqs:eu-west-1:1:app-serial.fifo' },
};
const queues = new Map(Object.entries(QUEUES).map(([gate, q]) => [gate, gateQueue(gate, q.url, q.arn)]));
const NOW = new Date('2026-12-01T12:00:00Z');

describe('planDynamicSchedule', () => {
  it('builds CreateSchedule\'s fields: the zone, the gate queue, the tick template with the name in the run id; a FIFO gate\'s group; an at() that deletes itself', () => {
    const plan = planDynamicSchedule('customer-42', { task: 'send-report', expression: 'cron(0 9 ? * MON-FRI *)', timeZone: 'Europe/Berlin', payload: { customerId: 42 } }, { registry, queues, now: NOW });
    expect(plan).toEqual({
      Name: 'customer-42',
      ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      Description: 'taskgate: run-time schedule of task send-report',
      Target: { Arn: QUEUES.default.arn, Input: '{"task":"send-report","payload":{"customerId":42},"id":"customer-42@<aws.scheduler.scheduled-time>","scheduledAt":"<aws.scheduler.scheduled-time>","source":"schedule"}' },
    });
    // What Scheduler delivers at a tick: the message a backfill of that tick sends too.
    expect(JSON.parse(renderTick(plan.Target.Input, new Date('2026-12-02T08:00:00Z')))).toMatchObject({ id: 'customer-42@2026-12-02T08:00:00Z', scheduledAt: '2026-12-02T08:00:00Z' });
    const once = planDynamicSchedule('sync-once', { task: 'sync-ledger', expression: 'at(2026-12-24T18:00:00)', enabled: false }, { registry, queues, now: NOW });
    expect(once).toMatchObject({ ActionAfterCompletion: 'DELETE', State: 'DISABLED', ScheduleExpressionTimezone: 'UTC', Target: { Arn: QUEUES.serial.arn, SqsParameters: { MessageGroupId: 'serial' } } });
  });

  it('refuses what the stack\'s schedules are refused at synth, one line each with the fix', () => {
    const refusal = (name: string, spec: object) => {
      try {
        planDynamicSchedule(name, dynamicScheduleSpec(spec), { registry, queues, now: NOW, reservedNames: ['nightly'] });
        return 'no error';
      } catch (error) {
        return `${(error as { status?: number }).status} ${(error as Error).message}`;
      }
    };
    const ok = { task: 'send-report', expression: 'rate(1 hour)', payload: { customerId: 1 } };
    expect(refusal('c1', { ...ok, expression: 'cron(0 9 * * MON-FRI *)' })).toBe("400 cron(0 9 * * MON-FRI *) sets day-of-week, so day-of-month must be '?': cron(0 9 ? * MON-FRI *)");
    expect(refusal('c1', { ...ok, expression: 'rate(1 hours)' })).toBe("400 rate(1 hours): a value of 1 takes the singular 'hour'; write rate(1 hour)");
    expect(refusal('c1', { ...ok, expression: 'at(2026-01-01T00:00:00)' })).toMatch(/^400 at\(2026-01-01T00:00:00\).*past/);
    expect(refusal('c1', { ...ok, timeZone: 'Europe/Berlim' })).toMatch(/^400 .*Europe\/Berlim/);
    expect(refusal('c1', { ...ok, task: 'send-reports' })).toBe('400 unknown task "send-reports" (did you mean "send-report"?); known tasks: send-report, sync-ledger');
    expect(refusal('c1', { ...ok, payload: { customerId: 'x' } })).toMatch(/^400 payload for task send-report fails its schema: customerId: /);
    expect(refusal('c 1', ok)).toMatch(/^400 schedule name "c 1" must be 1 to 64 of 0-9, a-z, A-Z/);
    expect(refusal('x'.repeat(65), ok)).toMatch(/^400 schedule name "x+" must be 1 to 64/);
    expect(refusal('nightly', ok)).toBe('400 schedule name "nightly" is a schedule of the stack; give the schedule created at run time another name');
    expect(refusal('c1', { ...ok, colour: 'blue' })).toBe('400 unknown field(s) colour; a schedule takes task, expression, timeZone, payload, enabled');
    expect(refusal('c1', { ...ok, payload: [1] })).toMatch(/^400 payload must be a JSON object/);
    expect(refusal('c1', { ...ok, expression: '' })).toMatch(/^400 expression must be a non-empty string/);
    expect(refusal('c1', ok)).toBe('no error');
  });
});

describe('dynamicSchedulesConfigFromEnv', () => {
  it('reads the group, role and queues grantDynamicSchedules sets, and names a missing one', () => {
    const env = { TASKGATE_DYNAMIC_SCHEDULE_GROUP: 'g', TASKGATE_DYNAMIC_SCHEDULE_ROLE_ARN: 'arn:r', TASKGATE_QUEUES: JSON.stringify(QUEUES) };
    const scheduler = new SchedulerClient({ region: 'eu-west-1' });
    expect(dynamicSchedulesConfigFromEnv({ registry, scheduler, env })).toEqual({ scheduler, group: 'g', roleArn: 'arn:r', queues: QUEUES, registry });
    expect(() => dynamicSchedulesConfigFromEnv({ registry, scheduler, env: { ...env, TASKGATE_DYNAMIC_SCHEDULE_GROUP: undefined } })).toThrow(
      'TASKGATE_DYNAMIC_SCHEDULE_GROUP is not set; grant the function with taskgate.grantDynamicSchedules(fn), which sets it',
    );
    expect(() => dynamicSchedulesConfigFromEnv({ registry, scheduler, env: { ...env, TASKGATE_QUEUES: '{' } })).toThrow(/TASKGATE_QUEUES is not JSON/);
  });
});

describe('the schedule routes on AWS (aws-sdk-client-mock)', () => {
  const scheduler = mockClient(SchedulerClient);
  const config: DynamicSchedulesConfig = { scheduler: new SchedulerClient({ region: 'eu-west-1' }), group: 'app-dynamic', roleArn: 'arn:aws:iam::1:role/dynamic', queues: QUEUES, registry };
  const routes = scheduleRoutes(() => config);
  const route = (method: Route['method'], path: string) => routes.find((r) => r.method === method && r.path === path)!;
  const request = (method: string, path: string, body?: unknown): ApiRequest => ({ method, path, headers: {}, body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body) });
  const stored = (name: string, input = '{"task":"send-report","payload":{"customerId":42},"id":"x@<aws.scheduler.scheduled-time>"}') => ({
    Name: name,
    GroupName: 'app-dynamic',
    Arn: `arn:aws:scheduler:eu-west-1:1:schedule/app-dynamic/${name}`,
    ScheduleExpression: 'rate(1 hour)',
    ScheduleExpressionTimezone: 'UTC',
    State: 'ENABLED' as const,
    Target: { Arn: QUEUES.default.arn, RoleArn: config.roleArn, Input: input },
  });
  beforeEach(() => scheduler.reset());

  it('PUT creates in the dynamic group as the dynamic role (201), replaces a taken name with UpdateSchedule (200)', async () => {
    scheduler.on(GetScheduleCommand).resolves(stored('customer-42'));
    const body = { task: 'send-report', expression: 'rate(1 hour)', payload: { customerId: 42 } };
    const created = await route('PUT', '/schedules/{name}').handle(request('PUT', '/schedules/customer-42', body), { name: 'customer-42' });
    expect(created).toMatchObject({ status: 201, body: { name: 'customer-42', task: 'send-report', payload: { customerId: 42 }, group: 'app-dynamic', next: expect.any(Array) } });
    expect((created.body as { next: string[] }).next).toHaveLength(3);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toMatchObject({
      Name: 'customer-42',
      GroupName: 'app-dynamic',
      ScheduleExpressionTimezone: 'UTC',
      Target: { Arn: QUEUES.default.arn, RoleArn: config.roleArn, Input: expect.stringContaining('"id":"customer-42@<aws.scheduler.scheduled-time>"') },
    });
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    const replaced = await route('PUT', '/schedules/{name}').handle(request('PUT', '/schedules/customer-42', body), { name: 'customer-42' });
    expect(replaced.status).toBe(200);
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toEqual(scheduler.commandCalls(CreateScheduleCommand)[1]!.args[0].input);
  });

  it('answers 400 for a bad body before calling Scheduler, 404 for an unknown name', async () => {
    const put = route('PUT', '/schedules/{name}');
    expect(await put.handle(request('PUT', '/schedules/a', '{nope'), { name: 'a' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^the body is not JSON/) } });
    expect(await put.handle(request('PUT', '/schedules/a', { task: 'send-report', expression: 'cron(0 9 * * *)' }), { name: 'a' })).toEqual({
      status: 400,
      body: { error: 'cron(0 9 * * *) has five fields, the Unix cron layout; AWS cron has six: minutes hours day-of-month month day-of-week year. Add the year: cron(0 9 * * ? *)' },
    });
    expect(scheduler.calls()).toEqual([]);
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} }));
    scheduler.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} }));
    expect(await route('GET', '/schedules/{name}').handle(request('GET', '/schedules/gone'), { name: 'gone' })).toEqual({
      status: 404,
      body: { error: 'no schedule named gone in group app-dynamic (schedules created at run time); list them with GET /schedules or taskgate schedules' },
    });
    expect((await route('DELETE', '/schedules/{name}').handle(request('DELETE', '/schedules/gone'), { name: 'gone' })).status).toBe(404);
  });

  it('GET /schedules pages through the group with prefix and limit, reading each schedule', async () => {
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'customer-1' }, { Name: 'customer-2' }], NextToken: 'next-page' });
    scheduler.on(GetScheduleCommand).callsFake((input: { Name: string }) => stored(input.Name));
    const page = await route('GET', '/schedules').handle(request('GET', '/schedules?prefix=customer-&limit=2'), {});
    expect(scheduler.commandCalls(ListSchedulesCommand)[0]!.args[0].input).toEqual({ GroupName: 'app-dynamic', MaxResults: 2, NamePrefix: 'customer-' });
    expect(page).toMatchObject({ status: 200, body: { schedules: [{ name: 'customer-1' }, { name: 'customer-2' }], nextToken: 'next-page' } });
    expect(await route('GET', '/schedules').handle(request('GET', '/schedules?limit=500'), {})).toEqual({ status: 400, body: { error: 'limit must be an integer between 1 and 100 (given 500)' } });
  });
});
