import type { ApiRequest, ApiResponse, Route } from './http';

/** Answers one request: the route's answer, 404/405 when none fits, 500 when a route throws. */
export interface ApiRouter {
  handle(request: ApiRequest): Promise<ApiResponse>;
  /** Whether some route serves this path, query string or not (any method): the control server hands such a request over. */
  serves(path: string): boolean;
}

export interface RouterOptions {
  /** Told of every error a route throws; the caller's answer is a 500 without the error's text. */
  readonly onError?: (error: unknown, request: ApiRequest) => void;
}

interface Compiled {
  readonly route: Route;
  readonly segments: readonly string[];
}

/** `/tasks/{name}` against `/tasks/cleanup`: the parameters, or undefined when the path does not fit. */
function match(segments: readonly string[], path: string): Record<string, string> | undefined {
  // The query string (`GET /schedules?prefix=`) is the route's to read, not part of the match.
  const parts = path.split('?', 1)[0]!.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (part === '') return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (segment !== part) return undefined;
  }
  return params;
}

/**
 * Dispatches requests to routes by method and path. The request API's own routes and any others
 * (schedules, say) are route modules handed in as one list, so the Lambda handler and the embedded
 * runtime's control server serve exactly the same set.
 *
 * @example
 * const router = createRouter([...taskRoutes(deps), ...scheduleRoutes(deps)]);
 * await router.handle({ method: 'GET', path: '/runs/cleanup/run-1', headers: {}, body: '' });
 */
export function createRouter(routes: readonly Route[], options: RouterOptions = {}): ApiRouter {
  const compiled: Compiled[] = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  const fitting = (path: string) => compiled.flatMap((entry) => {
    const params = match(entry.segments, path);
    return params ? [{ ...entry, params }] : [];
  });
  return {
    serves: (path) => fitting(path).length > 0,
    async handle(request) {
      const candidates = fitting(request.path);
      const path = request.path.split('?', 1)[0]!;
      if (candidates.length === 0) {
        return { status: 404, body: { error: `no route ${request.method} ${path}; routes: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}` } };
      }
      const chosen = candidates.find((candidate) => candidate.route.method === request.method);
      if (!chosen) {
        const allowed = [...new Set(candidates.map((candidate) => candidate.route.method))].join(', ');
        return { status: 405, body: { error: `use ${allowed} for ${path}` }, headers: { allow: allowed } };
      }
      try {
        return await chosen.route.handle(request, chosen.params);
      } catch (error) {
        options.onError?.(error, request);
        return { status: 500, body: { error: 'internal error; the request was not completed, retry it (with the same Idempotency-Key, it is not done twice)' } };
      }
    },
  };
}
