import * as path from 'node:path';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
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

/** One gate of the hand-written app: what a team would write without taskgate. */
export interface HandGate {
  readonly name: string;
  readonly concurrency: number;
  readonly timeoutSeconds: number;
  readonly tasks: readonly string[];
}

export interface HandSchedule {
  readonly task: string;
  readonly gate: string;
  readonly expression: string;
  readonly timeZone?: string;
}

/** The fixture app's worker entry: a realistic bundle for the hand-written stack's functions. */
const WORKER_ENTRY = path.resolve(__dirname, '..', 'test', 'fixtures', 'app', 'worker.ts');

/**
 * The baseline of bench/synth.ts: the same resources as a Taskgate app (queues, DLQs, workers,
 * event sources, ledger table, roles and grants, rules and Scheduler schedules, dashboard, alarms,
 * outputs, operator policy), written directly with aws-cdk-lib's L2 constructs, no abstraction.
 */
export class HandWrittenStack extends Stack {
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
    const schedulerPrincipal = new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': this.account }, ArnEquals: { 'aws:SourceArn': group.scheduleGroupArn } },
    });
    const onceRole = new iam.Role(this, 'OnceRole', { assumedBy: schedulerPrincipal, path: `/taskgate/${this.stackName}/` });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard');
    const queues = new Map<string, sqs.Queue>();
    const workers: lambda.Function[] = [];
    const dlqs: sqs.Queue[] = [];
    const rulesArn = this.formatArn({ service: 'events', resource: 'rule', resourceName: `${this.stackName}-*` });

    for (const gate of gates) {
      const fifo = gate.concurrency === 1 ? { fifo: true, contentBasedDeduplication: true } : {};
      const suffix = gate.concurrency === 1 ? '.fifo' : '';
      const dlq = new sqs.Queue(this, `${gate.name}Dlq`, {
        ...fifo,
        queueName: `${this.stackName}-${gate.name}-dlq${suffix}`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      const fnTimeout = gate.timeoutSeconds + 10;
      const queue = new sqs.Queue(this, `${gate.name}Queue`, {
        ...fifo,
        queueName: `${this.stackName}-${gate.name}${suffix}`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(6 * fnTimeout),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
      });
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnLike: { 'aws:SourceArn': rulesArn }, StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
      const logGroup = new logs.LogGroup(this, `${gate.name}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
      const role = new iam.Role(this, `${gate.name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      logGroup.grantWrite(role);
      const worker = new nodejs.NodejsFunction(this, `${gate.name}Worker`, {
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
          TASKGATE_LEDGER_TABLE: table.tableName,
          TASKGATE_RETENTION_DAYS: '30',
          TASKGATE_ONCE_ROLE_ARN: onceRole.roleArn,
          TASKGATE_SCHEDULE_GROUP: group.scheduleGroupName,
          POWERTOOLS_SERVICE_NAME: 'taskgate',
          POWERTOOLS_METRICS_NAMESPACE: 'Taskgate',
        },
        bundling: { minify: true, sourceMap: true, externalModules: ['@aws-sdk/*'] },
      });
      dlq.grantSendMessages(worker);
      worker.addEventSource(new SqsEventSource(queue, { batchSize: 10, maxConcurrency: gate.concurrency === 1 ? undefined : gate.concurrency, reportBatchItemFailures: true }));
      worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], resources: [table.tableArn, `${table.tableArn}/index/*`] }));
      worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${group.scheduleGroupName}/*` })] }));
      onceRole.grantPassRole(worker.grantPrincipal);
      queue.grantSendMessages(onceRole);
      const dead = dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
      const oldest = queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' });
      const alarms = [
        new cloudwatch.Alarm(this, `${gate.name}DlqAlarm`, { metric: dead, threshold: 0, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING }),
        new cloudwatch.Alarm(this, `${gate.name}AgeAlarm`, { metric: oldest, threshold: 900, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING }),
      ];
      dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: gate.name, alarms, width: 24, height: 2 }));
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: `${gate.name}: queue`, width: 6, left: [queue.metricApproximateNumberOfMessagesVisible(), queue.metricApproximateNumberOfMessagesNotVisible(), dead] }),
        new cloudwatch.GraphWidget({ title: `${gate.name}: oldest`, width: 6, left: [oldest] }),
        new cloudwatch.GraphWidget({ title: `${gate.name}: errors`, width: 6, left: [worker.metricErrors(), worker.metricThrottles()] }),
        new cloudwatch.GraphWidget({ title: `${gate.name}: duration`, width: 6, left: [worker.metricDuration({ statistic: 'Average' }), worker.metricDuration({ statistic: 'p99' }), worker.metricDuration({ statistic: 'Maximum' })] }),
      );
      for (const task of gate.tasks) {
        const metric = (metricName: string, statistic = 'Sum') =>
          new cloudwatch.Metric({ namespace: 'Taskgate', metricName, dimensionsMap: { service: 'taskgate', task }, statistic, period: Duration.minutes(5) });
        dashboard.addWidgets(
          new cloudwatch.GraphWidget({ title: `${task}: runs`, width: 6, left: ['RunsSucceeded', 'RunsFailed', 'RunsSkipped', 'RunsDead', 'RunsDuplicate'].map((m) => metric(m)) }),
          new cloudwatch.GraphWidget({ title: `${task}: lateness`, width: 6, left: [metric('RunLateness', 'Average'), metric('RunLateness', 'Maximum')] }),
        );
      }
      new CfnOutput(this, `${gate.name}QueueUrl`, { value: queue.queueUrl });
      new CfnOutput(this, `${gate.name}DlqUrl`, { value: dlq.queueUrl });
      queues.set(gate.name, queue);
      workers.push(worker);
      dlqs.push(dlq);
    }
    const fifoGates = gates.filter((g) => g.concurrency === 1).map((g) => g.name).join(',');
    for (const worker of workers) {
      worker.addEnvironment('TASKGATE_QUEUE_PREFIX', `${this.stackName}-`);
      worker.addEnvironment('TASKGATE_FIFO_GATES', fifoGates);
      worker.addEnvironment('TASKGATE_QUEUE_URL_BASE', Fn.join('', ['https://sqs.', this.region, '.', this.urlSuffix, '/', this.account, '/']));
      worker.addEnvironment('TASKGATE_QUEUE_ARN_BASE', Fn.join('', ['arn:', this.partition, ':sqs:', this.region, ':', this.account, ':']));
      for (const queue of queues.values()) queue.grantSendMessages(worker);
    }
    deliveryDlq.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deliveryDlq.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': rulesArn } },
      }),
    );
    const schedulerRoles = new Map<string, iam.Role>();
    schedules.forEach((schedule, n) => {
      const queue = queues.get(schedule.gate)!;
      const groupId = gates.find((g) => g.name === schedule.gate)!.concurrency === 1 ? schedule.gate : undefined;
      if (schedule.timeZone) {
        let role = schedulerRoles.get(schedule.gate);
        if (!role) {
          role = new iam.Role(this, `${schedule.gate}SchedulerRole`, { assumedBy: schedulerPrincipal, path: `/taskgate/${this.stackName}/` });
          schedulerRoles.set(schedule.gate, role);
        }
        const created = new scheduler.Schedule(this, `Schedule${n}`, {
          scheduleName: `${schedule.task}-${n}`,
          scheduleGroup: group,
          schedule: scheduler.ScheduleExpression.expression(schedule.expression, TimeZone.of(schedule.timeZone)),
          target: new schedulerTargets.SqsSendMessage(queue, {
            role,
            deadLetterQueue: deliveryDlq,
            messageGroupId: groupId,
            input: scheduler.ScheduleTargetInput.fromObject({
              task: schedule.task,
              payload: {},
              id: scheduler.ContextAttribute.scheduledTime,
              scheduledAt: scheduler.ContextAttribute.scheduledTime,
              source: 'schedule',
            }),
          }),
        });
        created.node.addDependency(group);
      } else {
        const rule = new events.Rule(this, `Rule${n}`, { ruleName: `${this.stackName}-${schedule.task}-${n}`, schedule: events.Schedule.expression(schedule.expression) });
        rule.addTarget({
          bind: () => ({
            arn: queue.queueArn,
            targetResource: queue,
            deadLetterConfig: { arn: deliveryDlq.queueArn },
            sqsParameters: groupId ? { messageGroupId: groupId } : undefined,
            input: events.RuleTargetInput.fromObject({ task: schedule.task, payload: {}, id: events.EventField.time, scheduledAt: events.EventField.time, source: 'schedule' }),
          }),
        });
      }
    });
    const operator = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      statements: [
        new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'], resources: [table.tableArn, `${table.tableArn}/index/*`] }),
        new iam.PolicyStatement({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resources: [...queues.values()].map((q) => q.queueArn) }),
        new iam.PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask'],
          resources: [...dlqs, deliveryDlq].map((q) => q.queueArn),
        }),
        new iam.PolicyStatement({ actions: ['events:EnableRule', 'events:DisableRule', 'events:DescribeRule'], resources: [rulesArn] }),
        new iam.PolicyStatement({ actions: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:CreateSchedule'], resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${group.scheduleGroupName}/*` })] }),
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [`arn:${this.partition}:iam::${this.account}:role/taskgate/${this.stackName}/*`] }),
        new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResources', 'cloudformation:GetTemplate'], resources: [this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${this.stackName}/*` })] }),
      ],
    });
    new CfnOutput(this, 'LedgerTable', { value: table.tableName });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
    new CfnOutput(this, 'OnceRoleArn', { value: onceRole.roleArn });
    new CfnOutput(this, 'ScheduleGroup', { value: group.scheduleGroupName });
    new CfnOutput(this, 'DeliveryDlqUrl', { value: deliveryDlq.queueUrl });
    new CfnOutput(this, 'OperatorPolicyArn', { value: operator.managedPolicyArn });
  }
}
