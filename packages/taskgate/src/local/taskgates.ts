import type { TaskgateIdentity } from '../core/outputs';
import type { AppModel } from './template';

/** One Taskgate of an app, as the embedded runtime runs it and the CLI addresses it (`--taskgate`). */
export interface AppTaskgate {
  readonly stackName: string;
  /** Undefined for a template from before several Taskgates per stack: its one Taskgate has no name there. */
  readonly identity?: TaskgateIdentity;
  /**
   * What `--taskgate` takes and local.json's `taskgates` key: the Taskgate's name, `<stack>/<name>`
   * where two stacks of the app have a Taskgate of that name, the stack's name for one without a name.
   */
  readonly key: string;
  /** The app's first Taskgate, whose gates and schedules the embedded runtime names as ever; the others' are `<key>/<name>`. */
  readonly primary: boolean;
  /** The stack's model with this Taskgate's resources only (for its stack's default, also those no Taskgate claims). */
  readonly model: AppModel;
}

/**
 * Every Taskgate of the app's stacks, the default of each stack first. A stack's Taskgates are told
 * apart by the `taskgate:taskgate` metadata of their workers; a stack whose workers carry none has
 * one Taskgate, and a stack without workers (nothing polls a queue) has none.
 */
export function appTaskgates(models: readonly AppModel[]): AppTaskgate[] {
  const found = models.flatMap((model) => identitiesOf(model).map((identity) => ({ model, identity })));
  const named = (name: string | undefined) => found.filter(({ identity }) => identity?.name === name).length;
  return found.map(({ model, identity }, index) => ({
    stackName: model.stackName,
    identity,
    key: identity === undefined ? model.stackName : named(identity.name) > 1 ? `${model.stackName}/${identity.name}` : identity.name,
    primary: index === 0,
    model: modelOf(model, identity),
  }));
}

/** The Taskgate of `stackName` a resource with this `taskgate:taskgate` metadata belongs to. */
export function taskgateOf(taskgates: readonly AppTaskgate[], stackName: string, identity: TaskgateIdentity | undefined): AppTaskgate | undefined {
  const ofStack = taskgates.filter((taskgate) => taskgate.stackName === stackName);
  return identity === undefined ? (ofStack.find((taskgate) => taskgate.identity?.default !== false) ?? ofStack[0]) : ofStack.find((t) => t.identity?.name === identity.name);
}

/** A gate's or schedule's name in the embedded runtime: as it is for the app's first Taskgate, `<key>/<name>` for the others. */
export function qualifiedName(taskgate: AppTaskgate | undefined, name: string): string {
  return taskgate === undefined || taskgate.primary ? name : `${taskgate.key}/${name}`;
}

/** The stack's Taskgates, default first: one per identity on its workers, or one without identity. */
function identitiesOf(model: AppModel): Array<TaskgateIdentity | undefined> {
  const workers = [...model.functions.values()].filter((fn) => fn.gate !== undefined || fn.taskgate !== undefined);
  if (workers.length === 0) return model.mappings.length > 0 ? [undefined] : [];
  const byName = new Map<string, TaskgateIdentity>();
  for (const worker of workers) if (worker.taskgate) byName.set(worker.taskgate.name, worker.taskgate);
  if (byName.size === 0) return [undefined];
  return [...byName.values()].sort((a, b) => Number(b.default) - Number(a.default));
}

/** `model` with the resources of one Taskgate; a stack's default Taskgate also owns the resources no Taskgate claims. */
function modelOf(model: AppModel, identity: TaskgateIdentity | undefined): AppModel {
  const mine = (tag: TaskgateIdentity | undefined) => (tag === undefined ? identity === undefined || identity.default : tag.name === identity?.name);
  const only = <V extends { readonly taskgate?: TaskgateIdentity }>(map: ReadonlyMap<string, V>) => new Map([...map].filter(([, value]) => mine(value.taskgate)));
  const functions = only(model.functions);
  return {
    ...model,
    queues: only(model.queues),
    functions,
    tables: only(model.tables),
    mappings: model.mappings.filter((mapping) => functions.has(mapping.function)),
    rules: model.rules.filter((rule) => mine(rule.taskgate)),
    schedules: model.schedules.filter((schedule) => mine(schedule.taskgate)),
    dynamicScheduleGroups: model.dynamicScheduleGroups.filter((group) => mine(group.taskgate)),
    tasks: [...functions.values()].flatMap((fn) => fn.taskMetadata),
  };
}
