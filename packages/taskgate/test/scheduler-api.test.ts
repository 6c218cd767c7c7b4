import * as http from 'node:http';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { RuntimeClock } from '../src/local/clock';
import { contextAttributes, OnceSchedules, type OnceSchedulesOptions } from '../src/local/once-schedules';
import { handleSchedulerApi, isSchedulerSdkRequest } from '../src/local/scheduler-api';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:app-default';
const FIFO_ARN = 'arn:aws:sqs:us-east-1:000000000000:app-serial.fifo';

function store(overrides: Partial<OnceSchedulesOptions> = {}) {
  const sent: Array<{ queueUrl: string; MessageBody: string; MessageGroupId?: string; MessageDeduplicationId?: string }> = [];
  const queues = new Map([
    [QUEUE_ARN, { name: 'app-default', url: 'http://q/app-default', fifo: false }],
    [FIFO_ARN, { name: 'app-serial.fifo', url: 'http://q/app-serial.fifo', fifo: true }],
  ]);
  const schedules = new OnceSchedules({
    region: 'us-east-1',
    accountId: '000000000000',
    clock: new RuntimeClock(1),
    groups: () => ['app-group'],
    queue: (arn) => queues.get(arn),
    queueArns: () => [...queues.keys()],
    send: async (queueUrl, input) => {
      sent.push({ queueUrl, ...input });
      return `m-${sent.length}`;
    },
    onFire: () => undefined,
    onError: () => undefined,
    ...overrides,
  });
  const call = (method: string, path: string, body: unknown = undefined) => {
    const answer = handleSchedulerApi(schedules, method, new URL(path, 'http://127.0.0.1'), body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
    return { ...answer, json: JSON.parse(answer.body) as Record<string, unknown> };
  };
  return { schedules, sent, call };
}

const body = (at: string, extra: object = {}) => ({
  ScheduleExpression: `at(${at})`,
  FlexibleTimeWindow: { Mode: 'OFF' },
  Target: { Arn: QUEUE_ARN, RoleArn: 'arn:aws:iam::000000000000:role/r', Input: '{"task":"t"}' },
  ...extra,
});

describe('the Scheduler API wire handling', () => {
  it('answers errors with the type header and a Message, as the SDK reads them', () => {
    const { schedules, call } = store();
    const notJson = call('POST', '/schedules/a', '{nope');
    expect(notJson.status).toBe(400);
    expect(notJson.headers['x-amzn-errortype']).toBe('SerializationException');
    expect(notJson.json.Message).toMatch(/not JSON/);
    const unknownField = call('POST', '/schedules/a', { ...body('2099-01-01T00:00:00'), Colour: 'blue' });
    expect(unknownField.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(unknownField.json.Message).toMatch(/unknown field\(s\) Colour/);
    expect(call('POST', '/schedules/a', body('2099-01-01T00:00:00', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } })).json.Message).toMatch(/MaximumWindowInMinutes must be an integer between 1 and 1440/);
    expect(call('POST', '/schedules/a%20b', body('2099-01-01T00:00:00')).json.Message).toMatch(/Name must be 1 to 64/);
    expect(call('POST', '/schedules/a', body('2099-01-01T00:00:00Z')).json.Message).toMatch(/takes no zone suffix/);
    expect(call('GET', '/schedules/missing').status).toBe(404);
    expect(call('PATCH', '/schedules/a').headers['x-amzn-errortype']).toBe('UnknownOperationException');
    expect(call('GET', '/tags/arn').json.Message).toMatch(/implements CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule and ListSchedules/);
    schedules.stop();
  });

  it('stores and returns a schedule with dates in epoch seconds, and pages ListSchedules', () => {
    const { schedules, call } = store();
    for (const name of ['c', 'a', 'b']) expect(call('POST', `/schedules/${name}`, body('2099-01-01T00:00:00', { GroupName: 'app-group' })).status).toBe(200);
    const got = call('GET', '/schedules/a?groupName=app-group').json;
    expect(got).toMatchObject({ Arn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/app-group/a', GroupName: 'app-group', State: 'ENABLED', ActionAfterCompletion: 'NONE' });
    expect(typeof got.CreationDate).toBe('number');
    expect(Math.abs((got.CreationDate as number) * 1000 - Date.now())).toBeLessThan(5000);
    const first = call('GET', '/schedules?ScheduleGroup=app-group&MaxResults=2').json as { Schedules: Array<{ Name: string }>; NextToken?: string };
    expect(first.Schedules.map((s) => s.Name)).toEqual(['a', 'b']);
    const second = call('GET', `/schedules?ScheduleGroup=app-group&MaxResults=2&NextToken=${first.NextToken}`).json as { Schedules: Array<{ Name: string }>; NextToken?: string };
    expect(second.Schedules.map((s) => s.Name)).toEqual(['c']);
    expect(second.NextToken).toBeUndefined();
    expect((call('GET', '/schedules?State=DISABLED').json.Schedules as unknown[]).length).toBe(0);
    // The same name in another group is another schedule.
    expect(call('POST', '/schedules/a', body('2099-01-01T00:00:00')).status).toBe(200);
    expect(call('DELETE', '/schedules/a?groupName=app-group').status).toBe(200);
    expect(call('GET', '/schedules/a').json.GroupName).toBe('default');
    schedules.stop();
  });

  it('fires a FIFO schedule once with its group and a dedupe id, then deletes it; a disabled one waits for UpdateSchedule', async () => {
    // An hour ahead at this speed is a millisecond.
    const { schedules, sent, call } = store({ clock: new RuntimeClock(3_600_000) });
    const at = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19);
    const fifo = body(at, { ActionAfterCompletion: 'DELETE', Target: { Arn: FIFO_ARN, RoleArn: 'r', Input: 'at <aws.scheduler.scheduled-time>', SqsParameters: { MessageGroupId: 'g' } } });
    expect(call('POST', '/schedules/fifo', fifo).status).toBe(200);
    expect(call('POST', '/schedules/off', body(at, { State: 'DISABLED' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toEqual([{ queueUrl: 'http://q/app-serial.fifo', MessageBody: `at ${at}Z`, MessageGroupId: 'g', MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(call('GET', '/schedules/fifo').status).toBe(404);
    expect(schedules.views().map((v) => [v.name, v.oneTime.status, v.enabled])).toEqual([['off', 'pending', false]]);
    expect(call('PUT', '/schedules/off', body(at, { State: 'ENABLED' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toHaveLength(2);
    expect(schedules.views().map((v) => [v.name, v.oneTime.status])).toEqual([['off', 'completed']]);
    schedules.stop();
  });

  it('fires a recurring schedule at each tick of the sped-up clock until its EndDate; UpdateSchedule to DISABLED stops it', async () => {
    // A simulated minute is a real millisecond.
    const clock = new RuntimeClock(60_000);
    const { schedules, sent, call } = store({ clock });
    const recurring = (extra: object = {}) => ({ ...body('x'), ScheduleExpression: 'rate(1 minute)', Target: { Arn: QUEUE_ARN, RoleArn: 'r', Input: '<aws.scheduler.scheduled-time>' }, ...extra });
    expect(call('POST', '/schedules/every', recurring()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const ticks = sent.map((message) => Date.parse(message.MessageBody));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.slice(1).map((tick, i) => tick - ticks[i]!)).toEqual(ticks.slice(1).map(() => 60_000));
    expect(call('PUT', '/schedules/every', recurring({ State: 'DISABLED' })).status).toBe(200);
    const stopped = sent.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sent).toHaveLength(stopped);
    expect(schedules.views().find((v) => v.name === 'every')).toMatchObject({ enabled: false, next: null });

    // Ending 5 simulated minutes from now: at most 5 ticks, then none.
    sent.length = 0;
    expect(call('POST', '/schedules/ending', recurring({ EndDate: (clock.now().getTime() + 5 * 60_000) / 1000 })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(call('POST', '/schedules/bad', recurring({ StartDate: 2_000_000_000, EndDate: 1_000_000_000 })).json.Message).toMatch(/StartDate .* must be before EndDate/);
    schedules.stop();
  });

  it('fills in context attributes', () => {
    expect(contextAttributes('<aws.scheduler.schedule-arn>|<aws.scheduler.scheduled-time>|<aws.scheduler.attempt-number>', {
      arn: 'arn:x',
      scheduledTime: new Date('2026-01-01T10:00:00Z'),
      executionId: 'e',
      attempt: 2,
    })).toBe('arn:x|2026-01-01T10:00:00Z|2');
  });
});

describe('isSchedulerSdkRequest', () => {
  it("tells the Scheduler SDK's signed calls from the request API's, which share /schedules/{name}", async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
      response.end('{"Message":"no"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const scheduler = new SchedulerClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      await scheduler.send(new GetScheduleCommand({ Name: 'a' })).catch(() => undefined);
    } finally {
      scheduler.destroy();
      server.close();
    }
    expect(isSchedulerSdkRequest(seen[0])).toBe(true);
    expect(isSchedulerSdkRequest(undefined)).toBe(false);
    expect(isSchedulerSdkRequest('AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=x')).toBe(false);
  });
});
