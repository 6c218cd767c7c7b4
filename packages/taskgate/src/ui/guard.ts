import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header that carries the server's token on every state-changing request. */
export const TOKEN_HEADER = 'x-taskgate-token';

/** Why a request is refused: an HTTP status and one line. */
export interface Refusal {
  readonly status: number;
  readonly error: string;
}

/**
 * What keeps a web page in the operator's browser from acting through a server on 127.0.0.1 (the
 * embedded runtime's control server, `taskgate ui`):
 *
 * - every route checks the `Host` header: only `127.0.0.1:<port>` or `localhost:<port>`, so a
 *   DNS-rebound name (evil.example resolving to 127.0.0.1) is refused before anything is read;
 * - a request a browser marks as coming from another site (`Origin` not this server's,
 *   `Sec-Fetch-Site: cross-site`) is refused;
 * - every state-changing route needs the token made at start, in `X-Taskgate-Token`: a custom
 *   header, which no cross-origin form or `fetch` can send without a CORS preflight that this
 *   server never grants. The page gets the token in its HTML (which only a same-origin reader can
 *   read); the CLI reads it from `.taskgate/local.json`.
 */
export class RequestGuard {
  private port = 0;

  constructor(readonly token: string = randomBytes(24).toString('base64url')) {}

  /** Set once the server listens, since port 0 picks one. */
  listening(port: number): void {
    this.port = port;
  }

  /** The origins this server answers as. */
  origins(): string[] {
    return [`http://127.0.0.1:${this.port}`, `http://localhost:${this.port}`];
  }

  /**
   * The check a request needs by its method: reading (GET, HEAD) {@link checkRequest}; anything
   * else {@link checkAction}, or {@link checkJsonWrite} on a route for token-less SDK clients.
   */
  check(request: IncomingMessage, options: { readonly tokenless?: boolean } = {}): Refusal | undefined {
    if (request.method === 'GET' || request.method === 'HEAD') return this.checkRequest(request);
    return options.tokenless ? this.checkJsonWrite(request) : this.checkAction(request);
  }

  /** Every route: a local Host of this port, and no browser request from another site. */
  checkRequest(request: IncomingMessage): Refusal | undefined {
    const host = request.headers.host?.toLowerCase();
    if (!host || !this.origins().includes(`http://${host}`)) {
      return { status: 421, error: `refused: Host "${host ?? ''}" is not this server (use http://127.0.0.1:${this.port})` };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !this.origins().includes(origin.toLowerCase())) {
      return { status: 403, error: `refused: a request from ${origin} (another site) cannot reach this server` };
    }
    if (request.headers['sec-fetch-site'] === 'cross-site') return { status: 403, error: 'refused: a cross-site request cannot reach this server' };
    return undefined;
  }

  /** A state-changing route: {@link checkRequest}, then the token. */
  checkAction(request: IncomingMessage): Refusal | undefined {
    const refused = this.checkRequest(request);
    if (refused) return refused;
    const given = request.headers[TOKEN_HEADER];
    if (typeof given !== 'string' || !sameText(given, this.token)) {
      return { status: 403, error: `refused: this action needs the server's token in the ${TOKEN_HEADER} header (the CLI reads it from .taskgate/local.json)` };
    }
    return undefined;
  }

  /**
   * A state-changing route of an API for scripts and SDKs that send no token (EventBridge
   * Scheduler's): {@link checkRequest}, and a body only as JSON, which a cross-site form cannot send.
   */
  checkJsonWrite(request: IncomingMessage): Refusal | undefined {
    const refused = this.checkRequest(request);
    if (refused) return refused;
    const method = request.method ?? 'GET';
    const length = Number(request.headers['content-length'] ?? 0);
    const hasBody = length > 0 || request.headers['transfer-encoding'] !== undefined;
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && hasBody && type !== 'application/json' && !type?.endsWith('+json')) {
      return { status: 415, error: `refused: send the body as JSON (content-type application/json), not ${type ?? 'without a content type'}` };
    }
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
