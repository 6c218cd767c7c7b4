import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METADATA_KEYS } from '../src/core/outputs';
import type { ScheduleOptions } from '../src/cdk/task-schedule';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

type Line = [task: string, expression: string, options?: ScheduleOptions];

const tasks = [fixtureTask('sync', 'api'), fixtureTask('sweep')];

function synth(lines: readonly Line[]) {
  const { stack, taskgate } = taskgateStack(testApp(), { tasks, gates: { api: {} } });
  for (const [task, expression, options] of lines) taskgate.schedule(task, expression, options);
  return { stack, template: Template.fromStack(stack) };
}

/** Each schedule resource by what its line says (task, expression, zone): its logical id and physical name. */
function schedulesOf(template: Template): Map<string, { logicalId: string; name: string }> {
  const resources = { ...template.findResources('AWS::Events::Rule'), ...template.findResources('AWS::Scheduler::Schedule') };
  return new Map(
    Object.entries(resources).map(([logicalId, r]) => [
      `${r.Metadata[METADATA_KEYS.task]} ${r.Properties.ScheduleExpression} ${r.Properties.ScheduleExpressionTimezone ?? 'UTC'}`,
      { logicalId, name: r.Properties.Name as string },
    ]),
  );
}

const key = ([task, expression, options]: Line) => `${task} ${expression} ${options?.timeZone ?? 'UTC'}`;

const LINES: Line[] = [
  ['sync', 'rate(5 minutes)'],
  ['sweep', 'rate(1 hour)'],
  ['sync', 'cron(0 3 * * ? *)'],
  ['sync', 'cron(0 3 * * ? *)', { timeZone: 'Europe/Berlin', payload: { n: 2 } }],
  ['sync', 'rate(7 minutes)', { name: 'seven' }],
  ['sweep', 'cron(30 6 ? * MON-FRI *)'],
];

describe('schedule construct ids and names', () => {
  const all = schedulesOf(synth(LINES).template);

  /** LINES without line `i`: the schedules of the others. */
  const without = (i: number) => schedulesOf(synth(LINES.filter((_, j) => j !== i)).template);

  it('are derived from what a line is: removing or moving a line changes no other schedule’s logical id or name', () => {
    expect(all.size).toBe(LINES.length);
    // Lines 0 and 1 are their tasks' first unnamed schedules; see the next test.
    for (let i = 2; i < LINES.length; i++) {
      const now = without(i);
      for (const line of LINES.filter((_, j) => j !== i)) expect(now.get(key(line)), `without line ${i}: ${key(line)}`).toEqual(all.get(key(line)));
    }
    // Moved: the named line first, the tasks interleaved differently (each task's lines in their order).
    const moved = schedulesOf(synth([4, 1, 0, 5, 2, 3].map((i) => LINES[i]!)).template);
    for (const line of LINES) expect(moved.get(key(line)), key(line)).toEqual(all.get(key(line)));
  });

  it('pass a task’s name, with its logical id, to its next unnamed schedule when its first is removed: an update in place', () => {
    const now = without(0);
    for (const line of LINES.filter(([task]) => task !== 'sync')) expect(now.get(key(line))).toEqual(all.get(key(line)));
    expect(now.get(key(LINES[2]!))).toEqual(all.get(key(LINES[0]!)));
    expect(now.get(key(LINES[3]!))).toEqual(all.get(key(LINES[3]!)));
    // Whatever is removed, a physical name stays on the logical id it had, so CloudFormation never
    // creates a resource of a name that another, still existing resource holds.
    const logicalIdOf = new Map([...all.values()].map((s) => [s.name, s.logicalId]));
    for (let i = 0; i < LINES.length; i++) {
      for (const { name, logicalId } of without(i).values()) expect(logicalIdOf.get(name)).toBe(logicalId);
    }
  });

  it('default to the task’s name, then the task and a hash of expression, zone and payload; a given name is kept', () => {
    expect(LINES.map((line) => all.get(key(line))!.name)).toEqual([
      'Fixture-sync',
      'Fixture-sweep',
      expect.stringMatching(/^Fixture-sync-[0-9a-f]{8}$/),
      expect.stringMatching(/^sync-[0-9a-f]{8}$/),
      'Fixture-seven',
      expect.stringMatching(/^Fixture-sweep-[0-9a-f]{8}$/),
    ]);
  });

  it('warn at synth on a second schedule of one task and expression (an example pasted twice), and still synthesize both', () => {
    const { stack, template } = synth([
      ['sync', 'rate(1 hour)'],
      ['sync', 'rate(1 hour)'],
      ['sync', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', payload: { n: 1 } }],
      ['sync', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', payload: { n: 2 } }],
      ['sync', 'cron(0 9 * * ? *)', { timeZone: 'Europe/London' }],
    ]);
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    const warnings = Annotations.fromStack(stack)
      .findWarning('*', Match.stringLikeRegexp('taskgate:schedule-same-ticks'))
      .map((w) => String(w.entry.data));
    expect(warnings).toEqual([
      expect.stringMatching(/^schedule sync-[0-9a-f]{8} \(task sync\): rate\(1 hour\) is also schedule sync's; a tick's run id is its time, so the task runs once per tick, not once per schedule\. Remove one of the lines/),
      expect.stringMatching(/^schedule sync-[0-9a-f]{8} \(task sync\): cron\(0 9 \* \* \? \*\) in Europe\/Berlin is also schedule sync-[0-9a-f]{8}'s/),
    ]);
  });
});
