import * as path from 'node:path';
import { ArnFormat, CfnOutput, Duration, Fn, NestedStack, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { bundlingRoot } from '../src/cdk/bundling-root';
import type { HandGate, HandSchedule } from './hand-written-stack';

const WORKER_ENTRY = path.resolve(__dirname, '..', 'test', 'fixtures', 'app', 'worker.ts');
const PERIOD = Duration.minutes(5);

/** What the app stack shares with each gate's nested stack. */
interface Shared {
  readonly table: dynamodb.Table;
  readonly group: scheduler.ScheduleGroup;
  readonly deliveryDlq: sqs.Queue;
  readonly onceRole: iam.Role;
  readonly prefix: string;
  readonly fifoGates: string;
}

/**
 * The baseline of bench/synth.ts at 100 gates and 2,000 schedules: what a team would write by hand
 * to fit an app that size in CloudFormation's quotas, as a Taskgate of `nestedStacks` does — each
 * gate with its Scheduler schedules in a nested stack, grants on the queue name prefix, the
 * dashboard split at 500 widgets — with aws-cdk-lib's L2 constructs and no abstraction.
 */
export class HandWrittenNestedStack extends Stack {
  constructor(scope: Construct, id: string, gates: readonly HandGate[], schedules: readonly HandSchedule[]) {
    super(scope, id);
    const table = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({ indexName: 'by-task', partitionKey: { name: 'task', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'startedAt', type: dynamodb.AttributeType.STRING } });
    table.addGlobalSecondaryIndex({ indexName: 'by-day', partitionKey: { name: 'day', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'startedAt', type: dynamodb.AttributeType.STRING } });
    const group = new scheduler.ScheduleGroup(this, 'Group');
    const deliveryDlq = new sqs.Queue(this, 'DeliveryDlq', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const onceRole = new iam.Role(this, 'OnceRole', { assumedBy: this.schedulerPrincipal(this, group), path: `/taskgate/${this.stackName}/` });
    const prefix = `${this.stackName}-`;
    const queues = (rest: string) => this.formatArn({ service: 'sqs', resource: `${prefix}${rest}`, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    onceRole.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queues('*')] }));
    const shared: Shared = { table, group, deliveryDlq, onceRole, prefix, fifoGates: gates.filter((g) => g.concurrency === 1).map((g) => g.name).join(',') };
    const widgets: cloudwatch.IWidget[][] = [];
    for (const gate of gates) widgets.push(...this.gate(gate, schedules.filter((s) => s.gate === gate.name), shared));
    for (const gate of gates) widgets.push(...gate.tasks.map((task) => this.taskWidgets(task)));
    const dashboards: cloudwatch.Dashboard[] = [];
    let count = 0;
    for (const row of widgets) {
      if (dashboards.length === 0 || count + row.length > 500) {
        dashboards.push(new cloudwatch.Dashboard(this, `Dashboard${dashboards.length + 1}`));
        count = 0;
      }
      dashboards.at(-1)!.addWidgets(...row);
      count += row.length;
    }
    const operator = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      statements: [
        new iam.PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:BatchGetItem'], resources: [table.tableArn, `${table.tableArn}/index/*`] }),
        new iam.PolicyStatement({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [queues('*')] }),
        new iam.PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:PurgeQueue', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask'],
          resources: [queues('*-dlq'), queues('*-dlq.fifo'), deliveryDlq.queueArn],
        }),
        new iam.PolicyStatement({ actions: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:CreateSchedule'], resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${group.scheduleGroupName}/*` })] }),
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [`arn:${this.partition}:iam::${this.account}:role/taskgate/${this.stackName}/*`] }),
        new iam.PolicyStatement({
          actions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:ListStackResources'],
          resources: [`${this.stackName}/*`, `${this.stackName}-*/*`].map((resourceName) => this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName })),
        }),
        new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      ],
    });
    new CfnOutput(this, 'LedgerTable', { value: table.tableName });
    new CfnOutput(this, 'DashboardName', { value: dashboards[0]!.dashboardName });
    new CfnOutput(this, 'OnceRoleArn', { value: onceRole.roleArn });
    new CfnOutput(this, 'ScheduleGroup', { value: group.scheduleGroupName });
    new CfnOutput(this, 'DeliveryDlqUrl', { value: deliveryDlq.queueUrl });
    new CfnOutput(this, 'OperatorPolicyArn', { value: operator.managedPolicyArn });
  }

  private schedulerPrincipal(scope: Construct, group: scheduler.ScheduleGroup): iam.ServicePrincipal {
    return new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account }, ArnEquals: { 'aws:SourceArn': group.scheduleGroupArn } },
    });
  }

  /** One gate's nested stack: queues, worker, grants, alarms, schedules, outputs; returns its dashboard rows. */
  private gate(gate: HandGate, schedules: readonly HandSchedule[], shared: Shared): cloudwatch.IWidget[][] {
    const s = new NestedStack(this, `${gate.name}Stack`);
    const fifo = gate.concurrency === 1 ? { fifo: true, contentBasedDeduplication: true } : {};
    const suffix = gate.concurrency === 1 ? '.fifo' : '';
    const dlq = new sqs.Queue(s, 'Dlq', { ...fifo, queueName: `${shared.prefix}${gate.name}-dlq${suffix}`, encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const fnTimeout = gate.timeoutSeconds + 10;
    const queue = new sqs.Queue(s, 'Queue', {
      ...fifo,
      queueName: `${shared.prefix}${gate.name}${suffix}`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * fnTimeout),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
    });
    const logGroup = new logs.LogGroup(s, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const worker = new nodejs.NodejsFunction(s, 'Worker', {
      entry: WORKER_ENTRY,
      ...bundlingRoot(),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(fnTimeout),
      reservedConcurrentExecutions: gate.concurrency,
      role,
      logGroup,
      environment: {
        TASKGATE_GATE: gate.name,
        TASKGATE_DLQ_URL: dlq.queueUrl,
        TASKGATE_LEDGER_TABLE: shared.table.tableName,
        TASKGATE_RETENTION_DAYS: '30',
        TASKGATE_QUEUE_PREFIX: shared.prefix,
        TASKGATE_FIFO_GATES: shared.fifoGates,
        TASKGATE_QUEUE_URL_BASE: Fn.join('', ['https://sqs.', s.region, '.', s.urlSuffix, '/', s.account, '/']),
        TASKGATE_QUEUE_ARN_BASE: Fn.join('', ['arn:', s.partition, ':sqs:', s.region, ':', s.account, ':']),
        TASKGATE_ONCE_ROLE_ARN: shared.onceRole.roleArn,
        TASKGATE_SCHEDULE_GROUP: shared.group.scheduleGroupName,
        POWERTOOLS_SERVICE_NAME: 'taskgate',
        POWERTOOLS_METRICS_NAMESPACE: 'Taskgate',
      },
      bundling: { minify: true, sourceMap: true, externalModules: ['@aws-sdk/*'] },
    });
    dlq.grantSendMessages(worker);
    worker.addEventSource(new SqsEventSource(queue, { batchSize: 1, maxConcurrency: gate.concurrency === 1 ? undefined : gate.concurrency, reportBatchItemFailures: true }));
    shared.table.grantReadWriteData(worker);
    worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [s.formatArn({ service: 'sqs', resource: `${shared.prefix}*`, arnFormat: ArnFormat.NO_RESOURCE_NAME })] }));
    worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [s.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${shared.group.scheduleGroupName}/*` })] }));
    shared.onceRole.grantPassRole(worker.grantPrincipal);
    const schedulerRole = new iam.Role(s, 'SchedulerRole', { assumedBy: this.schedulerPrincipal(s, shared.group), path: `/taskgate/${this.stackName}/` });
    schedules.forEach((schedule, n) => {
      const created = new scheduler.Schedule(s, `Schedule${n}`, {
        scheduleName: `${schedule.task}-${n}`,
        scheduleGroup: shared.group,
        schedule: scheduler.ScheduleExpression.expression(schedule.expression, schedule.timeZone ? TimeZone.of(schedule.timeZone) : undefined),
        target: new schedulerTargets.SqsSendMessage(queue, {
          role: schedulerRole,
          deadLetterQueue: shared.deliveryDlq,
          messageGroupId: gate.concurrency === 1 ? gate.name : undefined,
          input: scheduler.ScheduleTargetInput.fromObject({ task: schedule.task, payload: {}, id: scheduler.ContextAttribute.scheduledTime, scheduledAt: scheduler.ContextAttribute.scheduledTime, source: 'schedule' }),
        }),
      });
      created.node.addDependency(shared.group);
    });
    const dead = dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' });
    const oldest = queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' });
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number) =>
      new cloudwatch.Alarm(s, name, { metric, threshold, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING });
    const alarms = [alarm('DlqAlarm', dead, 0), alarm('AgeAlarm', oldest, 900)];
    new CfnOutput(s, 'QueueUrl', { value: queue.queueUrl });
    new CfnOutput(s, 'DlqUrl', { value: dlq.queueUrl });
    return [
      [new cloudwatch.AlarmStatusWidget({ title: gate.name, alarms, width: 24, height: 2 })],
      [
        new cloudwatch.GraphWidget({ title: `${gate.name}: queue`, width: 6, left: [queue.metricApproximateNumberOfMessagesVisible(), queue.metricApproximateNumberOfMessagesNotVisible(), dead] }),
        new cloudwatch.GraphWidget({ title: `${gate.name}: oldest`, width: 6, left: [oldest] }),
        new cloudwatch.GraphWidget({ title: `${gate.name}: errors`, width: 6, left: [worker.metricErrors(), worker.metricThrottles()] }),
        new cloudwatch.GraphWidget({ title: `${gate.name}: duration`, width: 6, left: ['Average', 'p99', 'Maximum'].map((statistic) => worker.metricDuration({ statistic })) }),
      ],
    ];
  }

  private taskWidgets(task: string): cloudwatch.IWidget[] {
    const metric = (metricName: string, statistic = 'Sum') => new cloudwatch.Metric({ namespace: 'Taskgate', metricName, dimensionsMap: { service: 'taskgate', task }, statistic, period: PERIOD });
    return [
      new cloudwatch.GraphWidget({ title: `${task}: runs`, width: 6, left: ['RunsSucceeded', 'RunsFailed', 'RunsSkipped', 'RunsDead', 'RunsDuplicate'].map((m) => metric(m)) }),
      new cloudwatch.GraphWidget({ title: `${task}: lateness`, width: 6, left: [metric('RunLateness', 'Average'), metric('RunLateness', 'Maximum')] }),
    ];
  }
}
