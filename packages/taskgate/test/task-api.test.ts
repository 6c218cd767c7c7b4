import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as fs from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../src/api/lambda-handler';
import { iamAction } from '../src/cli/aws-errors';
import { API_ACTIONS, apiEntryFile } from '../src/cdk/task-api';
import { taskMetadata } from '../src/core/task-metadata';
import type { TaskMetadata } from '../src/core/task-metadata';
import { modelFromTemplate, type TemplateDocument } from '../src/local/template';
import { scheduleRoutesFromEnv } from '../src/api/schedule-routes-from-env';
import { DYNAMIC_SCHEDULES_ENV } from '../src/client/dynamic-schedules-env';
import { WORKER_ENV } from '../src/worker/worker-env';
import { apiMocks, httpApiEvent } from './helpers/api-events';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { deploy, DEPLOYED } from './helpers/deployment';
import { isAllowed, type AccessRequest, type ResolvedStatement } from './helpers/iam';
import { templateOf, testApp } from './helpers/synth';

const TASKS = [fixtureTask('sweep'), fixtureTask('send-reminders', 'email-api')];

function apiStack(api: NonNullable<Parameters<typeof taskgateStack>[1]['api']> = {}) {
  return taskgateStack(testApp(), { tasks: TASKS, gates: { 'email-api': { concurrency: 2 } }, api });
}

/** What `Taskgate.grantDynamicSchedules` allows the API's function, for the schedule routes. */
const DYNAMIC_ACTIONS = ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:ListSchedules'];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }>;

describe('TaskApi in the template', () => {
  it('authorizes every route with AWS_IAM by default', () => {
    const template = templateOf(apiStack().stack);
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    expect(Object.values(routes).map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType]).sort()).toEqual([
      ['DELETE /schedules/{name}', 'AWS_IAM'],
      ['GET /runs/{task}/{runId}', 'AWS_IAM'],
      ['GET /schedules', 'AWS_IAM'],
      ['GET /schedules/{name}', 'AWS_IAM'],
      ['POST /tasks/{name}', 'AWS_IAM'],
      ['PUT /schedules/{name}', 'AWS_IAM'],
    ]);
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    template.hasOutput('*', { Value: Match.anyValue(), Export: Match.absent(), Description: 'taskgate request API URL' });
  });

  it('is served by the embedded runtime itself, which does not warn about its resources', () => {
    const { stack } = apiStack();
    const model = modelFromTemplate(templateOf(stack).toJSON() as TemplateDocument, stack.stackName);
    expect(model.warnings.filter((w) => /ApiGatewayV2|Api\//.test(w))).toEqual([]);
  });

  it('takes a JWT authorizer instead', () => {
    const template = templateOf(apiStack({ authorization: { jwt: { issuer: 'https://auth.example.com/', audience: ['orders'] } } }).stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['orders'] } });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.AuthorizationType)).toEqual(Array(6).fill('JWT'));
    expect(() => apiStack({ authorization: { jwt: { issuer: 'https://auth.example.com/', audience: [] } } })).toThrow(/authorization must be 'iam' or \{ jwt/);
  });

  it('throttles the stage by default, and as told', () => {
    templateOf(apiStack().stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    templateOf(apiStack({ rateLimit: 5, burstLimit: 10 }).stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    expect(() => apiStack({ rateLimit: 0 })).toThrow('TaskApi: rateLimit must be between 1 and 10000 (given 0)');
  });

  it('bundles the tasks\' metadata, not their code, into the API function, with the schedule routes', () => {
    const { stack, taskgate } = apiStack();
    const entry = fs.readFileSync(apiEntryFile(TASKS.map(taskMetadata)), 'utf8');
    expect(entry).toContain('const tasks = [{"name":"sweep","gate":"default"');
    expect(entry).toContain('exports.handler = createApiHandler(tasks, { routes: (_deps, env) => scheduleRoutesFromEnv(tasks, env) });');
    // Two requires, both of taskgate's own modules: no task module, no task code.
    expect(entry.match(/require\(/g)).toHaveLength(2);
    expect(entry).toMatch(/require\(".*api\/lambda-handler\.(ts|js)"\)/);
    expect(entry).toMatch(/require\(".*api\/schedule-routes-from-env\.(ts|js)"\)/);
    expect(taskgate.api!.handler.runtime).toBe(lambda.Runtime.NODEJS_24_X);
    const resources = templateOf(stack).toJSON().Resources as Resources;
    const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['taskgate:api'] === true)!;
    expect(Object.keys((fn.Properties.Environment as { Variables: object }).Variables).sort()).toEqual(
      [WORKER_ENV.queueNamePrefix, WORKER_ENV.fifoGates, WORKER_ENV.queueUrlBase, WORKER_ENV.queueArnBase, WORKER_ENV.ledgerTable, WORKER_ENV.onceScheduleRoleArn, WORKER_ENV.scheduleGroup, DYNAMIC_SCHEDULES_ENV.group, DYNAMIC_SCHEDULES_ENV.roleArn, 'POWERTOOLS_SERVICE_NAME'].sort(),
    );
  });
});

describe('the API function\'s role', () => {
  const { stack, taskgate } = apiStack();
  const deployment = deploy(templateOf(stack).toJSON() as never, stack.stackName);
  const resources = deployment.template.Resources as unknown as Resources;
  const [fnId, fn] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['taskgate:api'] === true)!;
  const roleId = ((fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'])[0]!;
  const statements: ResolvedStatement[] = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement)
    .map((s) => ({ ...s, Resource: [s.Resource].flat().map(deployment.resolve) }) as unknown as ResolvedStatement);
  const env = Object.fromEntries(
    Object.entries((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).map(([name, value]) => [name, deployment.resolve(value)]),
  );
  const actions = new Set(statements.flatMap((s) => [s.Action ?? []].flat()));
  const queueArns = [...taskgate.gates.values()].map((gate) => deployment.resolve(stack.resolve(gate.queue.queueArn)));

  it('may send to the task queues only, hold idempotency keys, read the ledger and manage the schedules created at run time, and nothing else', () => {
    expect([...actions].sort()).toEqual(
      [...new Set([...API_ACTIONS.queues, ...API_ACTIONS.idempotencyKeys, ...API_ACTIONS.read, ...API_ACTIONS.onceSchedules, ...DYNAMIC_ACTIONS, 'iam:PassRole', 'logs:CreateLogStream', 'logs:PutLogEvents'])].sort(),
    );
    const send = statements.find((s) => [s.Action].flat().includes('sqs:SendMessage'))!;
    expect([send.Resource].flat().sort()).toEqual(queueArns.sort());
    expect(queueArns.every((arn) => !arn.includes('dlq'))).toBe(true);
    const table = `arn:aws:dynamodb:${DEPLOYED.region}:${DEPLOYED.account}:table/${env[WORKER_ENV.ledgerTable]}`;
    // A run's record (`<task>#<id>`) is not an idempotency key: the role cannot overwrite or delete one.
    for (const action of API_ACTIONS.idempotencyKeys) {
      expect(isAllowed(statements, { action, resource: table, context: { 'dynamodb:LeadingKeys': 'taskgate:idempotency#sweep#k' } })).toBe(true);
      expect(isAllowed(statements, { action, resource: table, context: { 'dynamodb:LeadingKeys': 'sweep#run-1' } })).toBe(false);
    }
    expect(isAllowed(statements, { action: 'dynamodb:BatchWriteItem', resource: table })).toBe(false);
    expect(isAllowed(statements, { action: 'dynamodb:Query', resource: `${table}/index/by-task` })).toBe(false);
  });

  it('manages schedules of the group for schedules created at run time only, lists on "*", and passes their role to Scheduler only', () => {
    const dynamicGroup = env[DYNAMIC_SCHEDULES_ENV.group]!;
    const onceGroup = env[WORKER_ENV.scheduleGroup]!;
    const schedule = (group: string) => `arn:aws:scheduler:${DEPLOYED.region}:${DEPLOYED.account}:schedule/${group}/customer-42`;
    for (const action of ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule']) {
      expect(isAllowed(statements, { action, resource: schedule(dynamicGroup) }), action).toBe(true);
      expect(isAllowed(statements, { action, resource: schedule('default') }), `${action} on another group`).toBe(false);
    }
    // The one-time schedules' group: created there (runs beyond 15 minutes), never read, changed or deleted.
    expect(isAllowed(statements, { action: 'scheduler:CreateSchedule', resource: schedule(onceGroup) })).toBe(true);
    for (const action of ['scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule']) expect(isAllowed(statements, { action, resource: schedule(onceGroup) })).toBe(false);
    const listing = statements.filter((s) => [s.Action].flat().includes('scheduler:ListSchedules'));
    expect(listing.map((s) => [s.Action].flat())).toEqual([['scheduler:ListSchedules']]);
    expect([listing[0]!.Resource].flat()).toEqual(['*']);
    const dynamicRole = env[DYNAMIC_SCHEDULES_ENV.roleArn]!;
    expect(isAllowed(statements, { action: 'iam:PassRole', resource: dynamicRole, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } })).toBe(true);
    expect(isAllowed(statements, { action: 'iam:PassRole', resource: dynamicRole, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } })).toBe(false);
  });

  it('allows every call the handler makes, and holds no action the handler never uses', async () => {
    const metadata: TaskMetadata[] = JSON.parse(JSON.stringify(taskgate.registry.all().map((t) => ({ name: t.name, gate: t.gate, description: '', timeoutSeconds: 60, retry: t.retry, misfire: {}, payload: { type: 'object' } }))));
    const handler = createApiHandler(metadata, { env: { ...env, AWS_REGION: DEPLOYED.region }, routes: (_deps, handlerEnv) => scheduleRoutesFromEnv(metadata, handlerEnv) });
    for (const mock of Object.values(apiMocks)) mock.reset();
    apiMocks.sqs.on(SendMessageCommand).resolvesOnce({ MessageId: 'm' }).rejectsOnce(new Error('SQS is down')).resolves({ MessageId: 'm' });
    apiMocks.dynamo.on(PutCommand).resolvesOnce({}).resolvesOnce({}).rejects(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }));
    apiMocks.dynamo.on(GetCommand).resolves({ Item: { runId: 'k', fingerprint: 'x', status: 'succeeded', attempts: 1 } });
    apiMocks.dynamo.on(DeleteCommand).resolves({});
    apiMocks.dynamo.on(UpdateCommand).resolves({});
    apiMocks.scheduler.on(CreateScheduleCommand).resolvesOnce({}).resolvesOnce({}).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    apiMocks.scheduler.on(UpdateScheduleCommand).resolves({});
    apiMocks.scheduler.on(GetScheduleCommand).resolves({ Name: 'customer-42', ScheduleExpression: 'rate(1 hour)' });
    apiMocks.scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'customer-42' }] });
    apiMocks.scheduler.on(DeleteScheduleCommand).resolves({});
    const post = (task: string, body: object, key?: string) =>
      handler(httpApiEvent('POST', `/tasks/${task}`, { body: JSON.stringify(body), headers: key ? { 'idempotency-key': key } : {} }));
    await post('send-reminders', {}, 'k'); // put, send, update (sent)
    await post('sweep', {}, 'k2'); // put, send fails, delete
    await post('sweep', {}, 'k'); // put refused, get
    await post('sweep', { at: new Date(Date.now() + 3 * 3600_000).toISOString() }); // one-time schedule
    await handler(httpApiEvent('GET', '/runs/sweep/run-1')); // get
    const schedule = JSON.stringify({ task: 'sweep', expression: 'rate(1 hour)' });
    const created = await handler(httpApiEvent('PUT', '/schedules/customer-42', { body: schedule })); // create, get
    const replaced = await handler(httpApiEvent('PUT', '/schedules/customer-42', { body: schedule })); // create refused, update, get
    await handler(httpApiEvent('GET', '/schedules/customer-42')); // get
    await handler(httpApiEvent('GET', '/schedules?prefix=customer-')); // list, get
    const deleted = await handler(httpApiEvent('DELETE', '/schedules/customer-42')); // delete
    expect([created.statusCode, replaced.statusCode, deleted.statusCode]).toEqual([201, 200, 204]);
    const used = new Set<string>();
    for (const [clientName, mock] of [['SQSClient', apiMocks.sqs], ['DynamoDBClient', apiMocks.dynamo], ['SchedulerClient', apiMocks.scheduler]] as const) {
      for (const call of mock.calls()) {
        const command = call.args[0] as unknown as { input: Record<string, unknown>; clientCommand?: object };
        const action = iamAction(clientName, (command.clientCommand ?? command).constructor.name);
        used.add(action);
        const { input } = command;
        const requests: AccessRequest[] =
          action.startsWith('sqs:')
            ? [{ action, resource: queueArns.find((arn) => arn.endsWith(`:${String(input.QueueUrl).split('/').pop()}`))! }]
            : action.startsWith('dynamodb:')
              ? [{ action, resource: `arn:aws:dynamodb:${DEPLOYED.region}:${DEPLOYED.account}:table/${input.TableName}`, context: { 'dynamodb:LeadingKeys': String(((input.Item ?? input.Key) as Record<string, unknown>).pk) } }]
              : action === 'scheduler:ListSchedules'
                ? [{ action, resource: '*' }]
                : [
                    { action, resource: `arn:aws:scheduler:${DEPLOYED.region}:${DEPLOYED.account}:schedule/${input.GroupName}/${input.Name}` },
                    // Create and update name the role the schedule sends as; Scheduler passes it.
                    ...(input.Target ? [{ action: 'iam:PassRole', resource: String((input.Target as { RoleArn: string }).RoleArn), context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }] : []),
                  ];
        for (const request of requests) expect(isAllowed(statements, request), `${action} on ${request.resource}`).toBe(true);
        if (requests.length > 1) used.add('iam:PassRole');
      }
    }
    const granted = [...actions].filter((action) => !action.startsWith('logs:'));
    expect(granted.filter((action) => !used.has(action))).toEqual([]);
    expect(fnId).toBeTruthy();
  });
});

describe('Taskgate.grantSend', () => {
  it('lets a function of the team\'s own send to the task queues and schedule later runs, and sets the client\'s environment', () => {
    const { stack, taskgate } = taskgateStack(testApp(), { tasks: TASKS, gates: { 'email-api': { concurrency: 2 } } });
    const checkout = new lambda.Function(stack, 'Checkout', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
    taskgate.grantSend(checkout);
    const template = templateOf(stack).toJSON() as { Resources: Resources };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties.Code).includes('exports.handler'))!;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual([WORKER_ENV.onceScheduleRoleArn, WORKER_ENV.queueNamePrefix, WORKER_ENV.fifoGates, WORKER_ENV.queueUrlBase, WORKER_ENV.queueArnBase, WORKER_ENV.scheduleGroup].sort());
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const policy = Object.values(template.Resources).find((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(String(roleId)))!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement;
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage', 'scheduler:CreateSchedule', 'iam:PassRole']));
    expect(actions.filter((a) => !a.startsWith('sqs:SendMessage') && !a.startsWith('sqs:GetQueue') && !['scheduler:CreateSchedule', 'iam:PassRole'].includes(a))).toEqual([]);
    // The task queues, never their DLQs.
    const sendResources = JSON.stringify(statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage')).map((s) => s.Resource));
    expect(sendResources).not.toMatch(/DeadLetterQueue/);
  });
});
