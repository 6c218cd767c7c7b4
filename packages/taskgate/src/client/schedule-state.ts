import type { GetScheduleCommandOutput, UpdateScheduleCommandInput } from '@aws-sdk/client-scheduler';

/**
 * The UpdateSchedule input that pauses or resumes a schedule. UpdateSchedule replaces the whole
 * schedule, so every field GetSchedule returned goes back unchanged but its state.
 */
export function withState(current: GetScheduleCommandOutput, names: Pick<UpdateScheduleCommandInput, 'Name' | 'GroupName'>, enabled: boolean): UpdateScheduleCommandInput {
  return {
    Name: names.Name,
    GroupName: names.GroupName,
    ScheduleExpression: current.ScheduleExpression,
    ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
    StartDate: current.StartDate,
    EndDate: current.EndDate,
    Description: current.Description,
    KmsKeyArn: current.KmsKeyArn,
    Target: current.Target,
    FlexibleTimeWindow: current.FlexibleTimeWindow,
    ActionAfterCompletion: current.ActionAfterCompletion,
    State: enabled ? 'ENABLED' : 'DISABLED',
  };
}
