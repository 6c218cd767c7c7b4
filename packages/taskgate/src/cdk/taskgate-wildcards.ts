import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Ledger } from './ledger';
import { acknowledgeWildcard } from './nag-acknowledgements';
import { queueArnPattern } from './queue-pattern';
import type { ScheduleDelivery } from './schedule-delivery';

/**
 * The wildcards left in a Taskgate's workers' and operator's policies, each the narrowest AWS
 * allows, acknowledged for cdk-nag (AwsSolutions-IAM5) with the reason.
 */
export function acknowledgeTaskgateWildcards(scope: Construct, delivery: ScheduleDelivery, ledger: Ledger, nested: boolean): void {
  const stack = Stack.of(scope);
  const wildcards: Array<[string, string]> = [
    [`${ledger.table.tableArn}/index/*`, "Query on the run ledger's own indexes (by-task, by-day), for history; index/* covers this table's indexes only"],
    [
      stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${delivery.group.scheduleGroupName}/*` }),
      "schedules in the app's own Scheduler group only: one-time schedules are named at run time, so they cannot be listed in advance",
    ],
    [
      stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${delivery.dynamicGroup.scheduleGroupName}/*` }),
      "schedules in the app's group for schedules created at run time only: they are named at run time, so they cannot be listed in advance",
    ],
    [
      stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${delivery.rulePrefix}*` }),
      "the app's rules, all named with the stack's prefix; one ARN per rule would outgrow the managed policy's size limit with a few hundred schedules",
    ],
    [
      `arn:${stack.partition}:iam::${stack.account}:role${delivery.rolePath}*`,
      "PassRole only on the roles under the app's own IAM path (its Scheduler roles), and only to scheduler.amazonaws.com",
    ],
    [
      stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` }),
      "this stack by name; the stack id after the name is assigned at creation and cannot be known at synth",
    ],
  ];
  if (nested) {
    wildcards.push([queueArnPattern(scope, delivery.rulePrefix), "the app's task queues, all named with its prefix: chain() may send to any gate, and one ARN per gate would take a parameter per gate in each nested stack"]);
  }
  for (const [arn, reason] of wildcards) acknowledgeWildcard(scope, arn, reason);
}
