import { CliError } from './errors';
import { closest } from '../core/registry';
import { CLI } from './format';
import { TOKEN_HEADER } from '../ui/guard';

/** One schedule as `taskgate schedules` shows it. */
export interface ScheduleInfo {
  /** The taskgate schedule name, as `taskgate pause NAME` takes it. */
  readonly name: string;
  readonly task?: string;
  readonly kind: 'rule' | 'schedule';
  readonly expression: string;
  readonly timeZone: string;
  readonly enabled: boolean;
  /** The next fire time as the target reports it (the embedded runtime does), ISO-8601. */
  readonly next?: string | null;
  /** Created at run time (`taskgate schedules create`, `PUT /schedules/{name}`), not by the stack. */
  readonly createdAtRunTime?: boolean;
}

/** Lists, pauses and resumes the schedules of one target (the embedded runtime or a stack). */
export interface ScheduleController {
  /** Every schedule; with `createdAtRunTime: false`, the stack's only. */
  list(options?: { readonly createdAtRunTime?: boolean }): Promise<ScheduleInfo[]>;
  /** Pauses (`false`) or resumes (`true`) one schedule; returns its new state. */
  setEnabled(name: string, enabled: boolean): Promise<{ readonly name: string; readonly enabled: boolean }>;
}

/** "no schedule named X" with the closest name, for both controllers. */
export function unknownScheduleError(name: string, known: readonly string[]): CliError {
  const suggestion = closest(name, known);
  return new CliError(
    `no schedule named "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known schedules: ${known.join(', ') || 'none'} (see ${CLI} schedules)`,
  );
}

/**
 * How the embedded runtime names one Taskgate's schedules: `prefix` + name (`orders/` for Taskgate
 * `orders`, nothing for the app's first), where `others` are the other Taskgates' prefixes.
 */
export interface LocalScheduleNaming {
  readonly prefix: string;
  readonly others: readonly string[];
  /** The Scheduler group of schedules created at run time, which are listed through the Scheduler API instead. */
  readonly dynamicGroup?: string;
}

/**
 * The embedded runtime's schedules of one Taskgate, over its HTTP API at `ui`:
 * `GET /api/schedules`, `POST /api/schedules/NAME/pause|resume` → `{ name, enabled }`, 404 `{ error }`.
 * A POST carries the runtime's token from local.json.
 */
export class LocalScheduleController implements ScheduleController {
  constructor(
    private readonly ui: string,
    private readonly token: string,
    private readonly naming: LocalScheduleNaming = { prefix: '', others: [] },
  ) {}

  async list(): Promise<ScheduleInfo[]> {
    const { prefix, others, dynamicGroup } = this.naming;
    const all = (await this.request('GET', '/api/schedules')) as Array<ScheduleInfo & { oneTime?: { group?: string } }>;
    const own = all.filter(
      (schedule) =>
        (dynamicGroup === undefined || schedule.oneTime?.group !== dynamicGroup) &&
        (prefix ? schedule.name.startsWith(prefix) : !others.some((other) => schedule.name.startsWith(other))),
    );
    return own.map((schedule) => ({ ...schedule, name: schedule.name.slice(prefix.length) }));
  }

  async setEnabled(name: string, enabled: boolean): Promise<{ name: string; enabled: boolean }> {
    try {
      const route = `/api/schedules/${encodeURIComponent(this.naming.prefix + name)}/${enabled ? 'resume' : 'pause'}`;
      const result = (await this.request('POST', route)) as { name: string; enabled: boolean };
      return { name, enabled: result.enabled };
    } catch (error) {
      if (error instanceof NotFound) throw unknownScheduleError(name, (await this.list()).map((s) => s.name));
      throw error;
    }
  }

  private request(method: 'GET' | 'POST', route: string): Promise<unknown> {
    return requestControl(this.ui, method, route, this.token);
  }
}

/**
 * One request to the embedded runtime's control server at `ui` (local.json), its JSON answer; a
 * POST carries the runtime's token. A runtime that is gone, a refusal or a 404 becomes an error
 * that says what to do.
 */
export async function requestControl(ui: string, method: 'GET' | 'POST', route: string, token?: string): Promise<unknown> {
  const url = new URL(route, ui.endsWith('/') ? ui : `${ui}/`).toString().replace(/([^:]\/)\/+/g, '$1');
  let response: Response;
  try {
    const headers = { accept: 'application/json', ...(method === 'POST' && token ? { [TOKEN_HEADER]: token } : {}) };
    response = await fetch(url, { method, headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).name;
    throw new CliError(
      `no embedded runtime is answering at ${ui} (${code}; .taskgate/local.json may be left over from a stopped run); start it with taskgate dev`,
    );
  }
  const text = await response.text();
  if (response.status === 404) throw new NotFound(text);
  if (response.status === 403 || response.status === 421) {
    throw new CliError(`the embedded runtime at ${ui} refused ${method} ${route} (${errorOf(text)}); its local.json may be from another run: restart taskgate dev`);
  }
  if (!response.ok) throw new CliError(`the embedded runtime answered ${method} ${route} with HTTP ${response.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`the embedded runtime answered ${method} ${route} with something that is not JSON; is ${ui} the runtime's ui URL?`);
  }
}

class NotFound extends Error {}

function errorOf(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: unknown }).error ?? text).slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
