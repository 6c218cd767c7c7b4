import { Annotations, CfnResource, NestedStack, type RemovalPolicy, Stack, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ConfigurationError } from '../core/errors';
import { TaskRegistry } from '../core/registry';
import type { AnyTask } from '../core/task';
import { WORKER_ENV } from '../worker/worker-env';
import { DYNAMIC_SCHEDULES_ENV } from '../client/dynamic-schedules-env';
import { checkRange } from './check-range';
import { Gate, type GateOptions } from './gate';
import { Ledger } from './ledger';
import { Monitoring } from './monitoring';
import { acknowledgeWildcard } from './nag-acknowledgements';
import { addTaskgateOutputs } from './taskgate-outputs';
import { acknowledgeTaskgateWildcards } from './taskgate-wildcards';
import { checkEnvironmentSize } from './worker-environment-size';
import { bucketKey } from '../worker/rate/bucket-item';
import { OperatorPolicy } from './operator-policy';
import { METADATA_KEYS, type TaskgateIdentity } from '../core/outputs';
import { gateQueueName, physicalScheduleName } from './physical-names';
import { gateQueueEnvironment, queueArnPattern } from './queue-pattern';
import { ScheduleDelivery } from './schedule-delivery';
import { ScheduleNames } from './schedule-names';
import { quotaErrors } from './stack-quotas';
import { StackTaskgates } from './stack-taskgates';
import { TaskSchedule, type ScheduleOptions } from './task-schedule';
import { taskMetadata } from '../core/task-metadata';
import { TaskApi, type TaskApiOptions } from './task-api';
import { CatchUpSchedules } from './catch-up-schedules';
import { checkServedTasks, workerEntryFile } from './worker-entry';

/** The resource types the template readers (CLI, embedded runtime) group by Taskgate. */
const TAGGED_TYPES = new Set(['AWS::SQS::Queue', 'AWS::Lambda::Function', 'AWS::Events::Rule', 'AWS::Scheduler::Schedule', 'AWS::Scheduler::ScheduleGroup', 'AWS::DynamoDB::Table']);

export interface TaskgateProps<T extends AnyTask> {
  /**
   * The Taskgate's name, as `taskgate --taskgate NAME` takes it: a letter, then letters, digits and
   * hyphens, 20 at most. The stack's first Taskgate keeps the output keys and physical names a
   * stack with one Taskgate has (`TaskgateLedgerTable`, queues `<stack>-<gate>`); any other
   * carries its name in them (`TaskgateOrdersLedgerTable`, `<stack>-orders-<gate>`), so add a
   * second Taskgate after the first, never before it.
   * @default - the construct id
   */
  readonly name?: string;
  /** Every task of the app: the list `taskModule` exports. Sizes the gates and types `schedule()`. */
  readonly tasks: readonly T[];
  /**
   * The gates, by the names tasks give in `gate`. A task naming a gate that is not here is an
   * error, except `default`, which exists with default options when a task uses it.
   * @default - only the `default` gate
   */
  readonly gates?: Readonly<Record<string, GateOptions>>;
  /**
   * The module file that exports this same list as `tasks` (say `lambdas/tasks/index.ts`). Each
   * gate's worker bundles it through an entry generated at synth that calls `createHandler(tasks)`,
   * and a synth that bundles loads it to check that it exports exactly these tasks: the tasks that
   * were sized are the tasks that run.
   * @default - none; give this or `workerEntry`
   */
  readonly taskModule?: string;
  /**
   * Instead of `taskModule`, a handler file of your own (extra middleware, say) that exports
   * `handler = createHandler(tasks)` from `taskgate/worker`. Checked like `taskModule` when bundled.
   * @default - the entry generated from `taskModule`
   */
  readonly workerEntry?: string;
  /**
   * Days a run stays in the ledger before its TTL removes it (1 to 3650).
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * The ledger table's removal policy; deletion protection follows it (on for RETAIN).
   * @default RemovalPolicy.RETAIN
   */
  readonly ledgerRemovalPolicy?: RemovalPolicy;
  /**
   * Where the gates' alarms (DLQ not empty, backlog too old) are sent.
   * @default - alarms without actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Whether to create `TaskgateOperatorPolicy`, the managed policy the CLI's user needs.
   * @default true
   */
  readonly operatorPolicy?: boolean;
  /**
   * Values of the environment variables that webhook tasks read their URL from (`fromEnv(NAME)`),
   * each set on the workers of the gates whose tasks read it: `https://...`, or `http://` to
   * 127.0.0.1, ::1 or localhost for local receivers. Vary it per deployment (a context value, a
   * `CfnParameter`) to point each environment at its own endpoint.
   * @default - none; a task with a `fromEnv` URL fails the synth without its value
   */
  readonly webhookUrls?: Readonly<Record<string, string>>;
  /**
   * The request API: an HTTPS endpoint (API Gateway HTTP API) that takes `POST /tasks/{name}` and
   * `GET /runs/{task}/{runId}`, IAM-authorized unless told otherwise. `{}` turns it on with its defaults.
   * @default - no API
   */
  readonly api?: TaskApiOptions;
  /**
   * Puts each gate, with its schedules, Scheduler role and alarms, in a nested stack of its own
   * (aws-cdk-lib `NestedStack`), and every schedule on EventBridge Scheduler: for an app beyond
   * one stack's quotas (CloudFormation's 500 resources and 200 outputs, EventBridge's 300 rules per
   * bus). A schedule lives in its gate's stack, so adding or removing one never moves another.
   * Without it, a synth that outgrows a quota fails saying to set it. Turning it on for a deployed
   * stack moves every gate and schedule to new resources of the same names: deploy it to a new
   * stack, or drain the queues and remove the Taskgate first.
   * @default false
   */
  readonly nestedStacks?: boolean;
}

/**
 * The whole of taskgate in one stack: a gate per downstream, the run ledger, the dashboard and
 * alarms, the stack outputs the CLI reads, and schedules added one line each.
 *
 * @example
 * import { tasks } from '../../../../lambdas/tasks';
 * const taskgate = new Taskgate(this, 'Taskgate', {
 *   tasks,
 *   taskModule: path.join(__dirname, '../lambdas/tasks/index.ts'),
 *   gates: { 'email-api': { concurrency: 5 } },
 * });
 * taskgate.schedule('cleanup-stray-instances', 'rate(1 hour)');
 * taskgate.schedule('send-delivery-reminders', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', payload: { market: 'de' } });
 */
export class Taskgate<T extends AnyTask> extends Construct {
  /** Its name and whether it is the stack's default Taskgate, which keeps the unscoped names. */
  readonly identity: TaskgateIdentity;
  readonly registry: TaskRegistry<T>;
  readonly gates: ReadonlyMap<string, Gate>;
  readonly ledger: Ledger;
  readonly delivery: ScheduleDelivery;
  readonly monitoring: Monitoring;
  readonly operatorPolicy?: iam.ManagedPolicy;
  /** The request API, when `api` was given. */
  readonly api?: TaskApi;
  /** Whether each gate and its schedules sit in a nested stack of their own (`nestedStacks`). */
  readonly nested: boolean;
  private readonly scheduleNames = new ScheduleNames();
  private readonly catchUpSchedules = new CatchUpSchedules();

  constructor(scope: Construct, id: string, props: TaskgateProps<T>) {
    super(scope, id);
    this.identity = StackTaskgates.of(Stack.of(this)).register(this.node.path, id, props.name);
    const retentionDays = props.retentionDays ?? 30;
    checkRange('Taskgate', 'retentionDays', retentionDays, 1, 3650);
    this.registry = new TaskRegistry(props.tasks);
    const source = { taskModule: props.taskModule, workerEntry: props.workerEntry };
    const workerEntry = workerEntryFile(`Taskgate ${this.node.path}`, source);
    if (Stack.of(this).bundlingRequired) checkServedTasks(`Taskgate ${this.node.path}`, this.registry.all(), source);
    const declared = props.gates ?? {};
    for (const task of this.registry.all()) {
      if (task.gate !== 'default' && !(task.gate in declared)) {
        throw new ConfigurationError(
          `task ${task.name} runs on gate "${task.gate}", which is not declared; add it to Taskgate's gates (declared: ${Object.keys(declared).join(', ') || 'none'})`,
        );
      }
    }
    this.nested = props.nestedStacks ?? false;
    const gates = new Map<string, Gate>();
    for (const name of new Set([...Object.keys(declared), ...this.registry.gates()])) {
      const scope = this.nested ? new NestedStack(this, `GateStack-${name}`, { description: `taskgate gate ${name} and its schedules (${Stack.of(this).stackName})` }) : this;
      gates.set(
        name,
        new Gate(scope, `Gate-${name}`, { ...declared[name], gateName: name, tasks: this.registry.onGate(name), workerEntry, taskgate: this.identity, nameWorker: this.nested, webhookUrls: props.webhookUrls }),
      );
    }
    this.gates = gates;
    this.checkWebhookUrls(props.webhookUrls ?? {});
    const gateList = [...gates.values()];
    this.takeQueueNames(gateList);
    this.ledger = new Ledger(this, 'Ledger', { removalPolicy: props.ledgerRemovalPolicy });
    this.delivery = new ScheduleDelivery(this, 'ScheduleDelivery', { gates: gateList, taskgate: this.identity, nested: this.nested });
    this.wireWorkers(gateList, retentionDays);
    this.monitoring = new Monitoring(this, 'Monitoring', { gates: gateList, tasks: this.registry.all(), alarmTopic: props.alarmTopic, alarmsBesideGates: this.nested });
    if (props.operatorPolicy ?? true) {
      this.operatorPolicy = new OperatorPolicy(this, 'TaskgateOperatorPolicy', {
        gates: gateList,
        ledger: this.ledger,
        delivery: this.delivery,
        taskgate: this.identity,
        queuePatterns: this.nested,
      }).policy;
    }
    if (props.api) {
      this.api = new TaskApi(this, 'Api', { ...props.api, gates: gateList, ledger: this.ledger, delivery: this.delivery, tasks: this.registry.all().map(taskMetadata), taskgate: this.identity, queueEnvironment: gateQueueEnvironment(this, this.delivery.rulePrefix, gateList) });
      // The API's schedule routes manage the schedules created at run time.
      this.grantDynamicSchedules(this.api.handler);
    }
    const fix = this.nested
      ? 'spread the schedules over more gates (each gate and its schedules share one nested stack)'
      : 'set `nestedStacks: true` on the Taskgate (each gate and its schedules in a nested stack, every schedule on EventBridge Scheduler)';
    this.node.addValidation({ validate: () => quotaErrors(Stack.of(this), fix).map((error) => `Taskgate ${this.node.path}: ${error}`) });
    addTaskgateOutputs(this, gateList);
    acknowledgeTaskgateWildcards(this, this.delivery, this.ledger, this.nested);
    this.tag(this);
  }

  /**
   * Adds a schedule for a task in one line.
   *
   * @param task the task's name
   * @param expression `rate(1 hour)`, `cron(0 9 * * ? *)` (AWS's six fields) or `at(2026-12-24T18:00:00)`
   */
  schedule<N extends T['name']>(task: N, expression: string, options: ScheduleOptions<Extract<T, { name: N }>> = {}): TaskSchedule {
    const definition = this.registry.find(task);
    if (!definition) throw new ConfigurationError(this.registry.unknownTaskMessage(task));
    const { name, sameTicksAs } = this.scheduleNames.add({ task, expression, timeZone: options.timeZone, payload: options.payload, name: options.name });
    // The id follows the name (see ScheduleNames): removing or moving a line changes no other id.
    const gate = this.gates.get(definition.gate)!;
    // Nested: in its gate's stack, whose queue and Scheduler role it uses, so that nothing moves when lines come and go.
    const scope = this.nested ? Stack.of(gate) : this;
    const schedule = new TaskSchedule(scope, `Schedule-${name}`, {
      ...options,
      useScheduler: this.nested,
      scheduleName: name,
      task: definition,
      registry: this.registry as TaskRegistry,
      gate,
      delivery: this.delivery,
      expression,
    });
    if (definition.misfire.catchUp !== 'all') this.catchUpSchedules.add(this.gates.get(definition.gate)!, task, expression, options.timeZone, options.end);
    // A rule's name is the stack's, not the Scheduler group's: another Taskgate's could meet it.
    if (schedule.rule) StackTaskgates.of(Stack.of(this)).take(this.node.path, 'name rule', physicalScheduleName(this.delivery.rulePrefix, name));
    this.tag(schedule);
    if (sameTicksAs !== undefined) {
      Annotations.of(schedule).addWarningV2(
        'taskgate:schedule-same-ticks',
        `schedule ${name} (task ${task}): ${expression.trim()}${options.timeZone ? ` in ${options.timeZone}` : ''} is also schedule ${sameTicksAs}'s; a tick's run id is its time, so the task runs once per tick, not once per schedule. Remove one of the lines (was an example pasted twice?)`,
      );
    }
    return schedule;
  }

  /**
   * Lets `grantee` (the request API's function, a team's own service) create, read, replace and
   * delete schedules created at run time: those actions on the schedules of the dynamic group
   * only, ListSchedules (which IAM authorizes on "*" alone: it has no resource types; the calls
   * name the group), and PassRole on the dynamic schedules' role, to Scheduler only. A Lambda
   * function also gets the group, the role and the queues in its environment
   * (`dynamicSchedulesConfigFromEnv` reads them).
   *
   * @example
   * taskgate.grantDynamicSchedules(apiFunction);
   */
  grantDynamicSchedules(grantee: iam.IGrantable): iam.Grant {
    const { dynamicGroup, dynamicRole } = this.delivery;
    const schedules = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${dynamicGroup.scheduleGroupName}/*` });
    const manage = iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      resourceArns: [schedules],
    });
    const list = iam.Grant.addToPrincipal({ grantee, actions: ['scheduler:ListSchedules'], resourceArns: ['*'] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [dynamicRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    if (grantee instanceof lambda.Function) {
      grantee.addEnvironment(DYNAMIC_SCHEDULES_ENV.group, dynamicGroup.scheduleGroupName);
      grantee.addEnvironment(DYNAMIC_SCHEDULES_ENV.roleArn, dynamicRole.roleArn);
      for (const [name, value] of Object.entries(this.queueEnvironment(grantee))) grantee.addEnvironment(name, value);
    }
    // The grantee's policy may live outside this construct (the API's function): acknowledge on its principal.
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      acknowledgeWildcard(principal, '*', 'scheduler:ListSchedules only, which IAM authorizes on "*" (it has no resource types); the calls name the dynamic group');
      acknowledgeWildcard(principal, schedules, "schedules of the group for schedules created at run time only: they are named at run time, so they cannot be listed in advance");
    }
    return manage.combine(list);
  }

  /**
   * Lets a function of the team's own send tasks with `taskgate/client`: `sqs:SendMessage` on the
   * task queues, one-time schedules in the app's group for runs beyond 15 minutes, and the
   * environment variables the client reads (`clientConfig.fromEnvironment()`).
   *
   * @example
   * taskgate.grantSend(checkoutFunction);
   * // in the function: const client = createClient(tasks, clientConfig.fromEnvironment());
   */
  grantSend(fn: lambda.Function): void {
    const stack = Stack.of(this);
    const gates = [...this.gates.values()];
    for (const gate of gates) gate.queue.grantSendMessages(fn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.delivery.group.scheduleGroupName}/*` })],
      }),
    );
    this.delivery.onceRole.grantPassRole(fn.grantPrincipal);
    for (const [name, value] of Object.entries(this.queueEnvironment(fn))) fn.addEnvironment(name, value);
    fn.addEnvironment(WORKER_ENV.onceScheduleRoleArn, this.delivery.onceRole.roleArn);
    fn.addEnvironment(WORKER_ENV.scheduleGroup, this.delivery.group.scheduleGroupName);
  }

  /** The worker's contract (WORKER_ENV) and its least-privilege grants beyond its own queue and DLQ. */
  private wireWorkers(gates: readonly Gate[], retentionDays: number): void {
    const stack = Stack.of(this);
    const { group, onceRole, rulePrefix } = this.delivery;
    const createOnce = new iam.PolicyStatement({
      actions: ['scheduler:CreateSchedule'],
      resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${group.scheduleGroupName}/*` })],
    });
    for (const gate of gates) {
      const env: Record<string, string> = {
        [WORKER_ENV.ledgerTable]: this.ledger.table.tableName,
        [WORKER_ENV.retentionDays]: Tokenization.stringifyNumber(retentionDays),
        ...gateQueueEnvironment(gate.worker, rulePrefix, gates),
        [WORKER_ENV.onceScheduleRoleArn]: onceRole.roleArn,
        [WORKER_ENV.scheduleGroup]: group.scheduleGroupName,
      };
      checkEnvironmentSize(gate, env);
      for (const [name, value] of Object.entries(env)) gate.worker.addEnvironment(name, value);
      this.ledger.grantWorker(gate.worker, gate.rate ? { rateBucketKey: bucketKey(gate.gateName) } : {});
      // chain(): a task may request the next run on any gate of the app. In nested stacks one
      // pattern over the app's queue names, rather than a parameter per gate in each gate's stack.
      if (this.nested) {
        gate.worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queueArnPattern(gate, rulePrefix)] }));
      } else {
        // SendMessage only (SendMessageBatch is authorized as SendMessage); the event source's grant covers its own queue's attributes.
        gate.worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: gates.map((target) => target.queue.queueArn) }));
      }
      gate.worker.addToRolePolicy(createOnce);
      onceRole.grantPassRole(gate.worker.grantPrincipal);
    }
  }

  /** The variables from which `fn` derives every gate's task queue (core/gate-queues.ts). */
  private queueEnvironment(fn: Construct): Record<string, string> {
    return gateQueueEnvironment(fn, this.delivery.rulePrefix, [...this.gates.values()]);
  }

  /** A `webhookUrls` entry no task reads is a typo or a leftover: say so instead of setting it unused. */
  private checkWebhookUrls(urls: Readonly<Record<string, string>>): void {
    const read = new Set(this.registry.all().flatMap((task) => (typeof task.webhook?.url === 'object' && task.webhook.url.from === 'env' ? [task.webhook.url.name] : [])));
    const unused = Object.keys(urls).filter((name) => !read.has(name));
    if (unused.length > 0) {
      throw new ConfigurationError(`Taskgate: webhookUrls ${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} read by no task's fromEnv(); read: ${[...read].join(', ') || 'none'}`);
    }
  }

  /** Each gate's queue and DLQ names: unique in the Taskgate, and in the stack. */
  private takeQueueNames(gates: readonly Gate[]): void {
    const queueNames = new Map<string, string>();
    for (const gate of gates) {
      for (const kind of ['queue', 'dlq'] as const) {
        const name = gateQueueName(Stack.of(this).stackName, gate.gateName, kind, gate.fifo, this.identity);
        const other = queueNames.get(name);
        if (other) throw new ConfigurationError(`Taskgate: gates ${other} and ${gate.gateName} would both name a queue ${name}; rename one of the gates`);
        queueNames.set(name, gate.gateName);
        StackTaskgates.of(Stack.of(this)).take(this.node.path, 'name queue', name);
      }
    }
  }

  /** Puts the Taskgate's identity on its resources, so that the CLI and the embedded runtime tell several Taskgates apart. */
  private tag(scope: Construct): void {
    for (const construct of scope.node.findAll()) {
      if (construct instanceof CfnResource && TAGGED_TYPES.has(construct.cfnResourceType)) construct.addMetadata(METADATA_KEYS.taskgate, this.identity);
    }
  }
}
