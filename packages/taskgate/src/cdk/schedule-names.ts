import stringify from 'safe-stable-stringify';
import { ConfigurationError } from '../core/errors';
import { shortHash } from './physical-names';

/** What makes a schedule line what it is; its default name and its construct id follow from it. */
export interface ScheduleLine {
  readonly task: string;
  readonly expression: string;
  readonly timeZone?: string;
  readonly payload?: unknown;
  /** The name the line gives, if any. */
  readonly name?: string;
}

/** A schedule line's name, and the schedule that already sends the same ticks of the same task, if any. */
export interface NamedSchedule {
  readonly name: string;
  readonly sameTicksAs?: string;
}

/**
 * Names the schedules of one app so that a line keeps its name, and so its construct id, whatever
 * happens to the other lines. A schedule's construct id is derived from its name alone: a
 * CloudFormation resource's physical name then never passes from one logical id to another, which
 * would make CloudFormation create the new one before deleting the old, and fail on the name.
 *
 * Default names: the task's name for its first schedule without a `name`, and
 * `<task>-<8 hex>` for its others, the hex a hash of the task, expression, zone and payload. So
 * deleting, adding or moving a line renames none of the others, except that deleting a task's
 * first unnamed schedule passes the task's name to its next one (an update in place).
 */
export class ScheduleNames {
  private readonly names = new Set<string>();
  /** `task`, expression and zone → the first schedule with them. */
  private readonly ticks = new Map<string, string>();

  add(line: ScheduleLine): NamedSchedule {
    const name = line.name ?? this.defaultName(line);
    if (this.names.has(name)) {
      throw new ConfigurationError(`two schedules are named "${name}"; give one of them another \`name\``);
    }
    this.names.add(name);
    const ticksKey = stringify([line.task, line.expression.trim(), line.timeZone ?? 'UTC']);
    const sameTicksAs = this.ticks.get(ticksKey);
    if (sameTicksAs === undefined) this.ticks.set(ticksKey, name);
    return { name, sameTicksAs };
  }

  private defaultName(line: ScheduleLine): string {
    if (!this.names.has(line.task)) return line.task;
    const base = `${line.task}-${shortHash(stringify([line.task, line.expression.trim(), line.timeZone ?? 'UTC', line.payload ?? {}]))}`;
    // The same line twice: the copies differ by order only, which is all that tells them apart.
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base}-${n}`;
    return name;
  }
}
