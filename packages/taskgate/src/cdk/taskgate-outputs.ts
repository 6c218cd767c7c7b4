import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { gateOutputKey, outputKey, type TaskgateOutput } from '../core/outputs';
import type { AnyTask } from '../core/task';
import type { Gate } from './gate';
import { StackTaskgates } from './stack-taskgates';
import type { Taskgate } from './taskgate';

/** A Taskgate's stack outputs: each gate's queue URLs and the app-wide names the CLI and the team's code read. */
export function addTaskgateOutputs(taskgate: Taskgate<AnyTask>, gates: readonly Gate[]): void {
  const output = (id: string, key: string, value: string, description: string, scope: Construct = taskgate) => {
    StackTaskgates.of(Stack.of(taskgate)).take(taskgate.node.path, 'write output', key);
    new CfnOutput(scope, id, { key, value, description: taskgate.identity.default ? description : `${description} (Taskgate ${taskgate.identity.name})` });
  };
  for (const gate of gates) {
    // Nested: in the gate's own stack, as the app stack's 200 outputs would not hold two per gate of 100.
    const scope = taskgate.nested ? gate : taskgate;
    output(`QueueUrl-${gate.gateName}`, gateOutputKey(gate.gateName, 'QueueUrl', taskgate.identity), gate.queue.queueUrl, `taskgate gate ${gate.gateName}: task queue URL`, scope);
    output(
      `DeadLetterQueueUrl-${gate.gateName}`,
      gateOutputKey(gate.gateName, 'DeadLetterQueueUrl', taskgate.identity),
      gate.deadLetterQueue.queueUrl,
      `taskgate gate ${gate.gateName}: DLQ URL`,
      scope,
    );
  }
  const outputs: Array<[TaskgateOutput, string, string]> = [
    ['ledgerTable', taskgate.ledger.table.tableName, 'taskgate run ledger (DynamoDB table)'],
    ['dashboard', taskgate.monitoring.dashboard.dashboardName, 'taskgate CloudWatch dashboard'],
    ['onceScheduleRoleArn', taskgate.delivery.onceRole.roleArn, 'taskgate: role of one-time Scheduler schedules'],
    ['scheduleGroup', taskgate.delivery.group.scheduleGroupName, "taskgate: Scheduler group of the app's schedules"],
    ['dynamicScheduleGroup', taskgate.delivery.dynamicGroup.scheduleGroupName, 'taskgate: Scheduler group of the schedules created at run time'],
    ['dynamicScheduleRoleArn', taskgate.delivery.dynamicRole.roleArn, 'taskgate: role of the schedules created at run time'],
    ['scheduleDeadLetterQueueUrl', taskgate.delivery.deadLetterQueue.queueUrl, 'taskgate: DLQ of schedule deliveries that failed'],
  ];
  if (taskgate.operatorPolicy) outputs.push(['operatorPolicyArn', taskgate.operatorPolicy.managedPolicyArn, 'taskgate: managed policy for operators and the CLI']);
  if (taskgate.api) outputs.push(['apiUrl', taskgate.api.url, 'taskgate request API URL']);
  // The construct ids stay the default's keys, so that the default Taskgate's template is unchanged.
  for (const [name, value, description] of outputs) output(outputKey(name), outputKey(name, taskgate.identity), value, description);
}
