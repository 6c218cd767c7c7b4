import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { withState } from '../client/schedule-state';
import { GetScheduleCommand, type SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import type { TriggerModel } from '../local/template';
import type { DeployedStack } from './deployed-stack';
import { CliError } from './errors';
import { unknownScheduleError, type ScheduleController, type ScheduleInfo } from './schedule-control';

/**
 * A deployed stack's schedules: found in its template by their `taskgate:schedule` metadata, named
 * in AWS through ListStackResources, paused and resumed with EventBridge (rules) or EventBridge
 * Scheduler (schedules).
 */
export class AwsScheduleController implements ScheduleController {
  constructor(
    private readonly stack: DeployedStack,
    private readonly events: EventBridgeClient,
    private readonly scheduler: SchedulerClient,
  ) {}

  async list(): Promise<ScheduleInfo[]> {
    return Promise.all(
      this.triggers().map(async (trigger) => ({
        name: trigger.name,
        task: trigger.task,
        kind: trigger.kind,
        expression: trigger.expression,
        timeZone: trigger.timeZone,
        enabled: await this.isEnabled(trigger),
      })),
    );
  }

  async setEnabled(name: string, enabled: boolean): Promise<{ name: string; enabled: boolean }> {
    const trigger = this.triggers().find((t) => t.name === name);
    if (!trigger) throw unknownScheduleError(name, this.triggers().map((t) => t.name));
    const physical = await this.physicalName(trigger);
    if (trigger.kind === 'rule') {
      await this.events.send(enabled ? new EnableRuleCommand({ Name: physical }) : new DisableRuleCommand({ Name: physical }));
      return { name, enabled };
    }
    const current = await this.scheduler.send(new GetScheduleCommand({ Name: physical, GroupName: await this.groupOf(trigger) }));
    await this.scheduler.send(new UpdateScheduleCommand(withState(current, { Name: current.Name ?? physical, GroupName: current.GroupName }, enabled)));
    return { name, enabled };
  }

  /** One entry per rule or schedule (a rule with several targets is listed once). */
  private triggers(): TriggerModel[] {
    const seen = new Set<string>();
    return [...this.stack.model.rules, ...this.stack.model.schedules].filter((t) => !seen.has(t.logicalId) && seen.add(t.logicalId));
  }

  private async isEnabled(trigger: TriggerModel): Promise<boolean> {
    const physical = await this.physicalName(trigger);
    if (trigger.kind === 'rule') return (await this.events.send(new DescribeRuleCommand({ Name: physical }))).State !== 'DISABLED';
    return (await this.scheduler.send(new GetScheduleCommand({ Name: physical, GroupName: await this.groupOf(trigger) }))).State !== 'DISABLED';
  }

  private async physicalName(trigger: TriggerModel): Promise<string> {
    const physical = (await this.stack.physicalIds()).get(trigger.logicalId);
    if (!physical) throw new CliError(`schedule ${trigger.name} (${trigger.logicalId}) is in stack ${this.stack.name}'s template but not deployed; redeploy the stack`);
    // A rule's physical id is `bus|name` on a custom bus; the default bus's is the bare name.
    return physical.includes('|') ? physical.split('|').pop()! : physical;
  }

  /** The Scheduler group: the template's GroupName (a name or a Ref to a group of the stack). */
  private async groupOf(trigger: TriggerModel): Promise<string | undefined> {
    const group = this.stack.template.Resources?.[trigger.logicalId]?.Properties?.GroupName as string | { Ref?: string } | undefined;
    if (typeof group === 'string') return group;
    if (group?.Ref) return (await this.stack.physicalIds()).get(group.Ref) ?? group.Ref;
    return undefined;
  }
}
