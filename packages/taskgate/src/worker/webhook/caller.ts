/** The first bytes of a response body a run keeps, for the DLQ reason of a refused request. */
export const BODY_EXCERPT_BYTES = 1024;

export interface EndpointRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The run's signal: it fires at the task's timeout and aborts the request. */
  readonly signal: AbortSignal;
}

/** A response, read to its end. */
export interface EndpointResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The body's size in bytes. */
  readonly bytes: number;
  /** The body's first {@link BODY_EXCERPT_BYTES} bytes as text. */
  readonly excerpt: string;
  readonly durationMs: number;
}

/** No response: the connection failed, or the run's signal fired; `durationMs` until then. */
export class EndpointUnreachableError extends Error {
  override name = 'EndpointUnreachableError';
  constructor(
    message: string,
    readonly durationMs: number,
    options: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * One HTTP request with Node's fetch: no redirect is followed (a 3xx is the answer), the body is
 * read to its end so its size is known and the connection is reused, and the first kilobyte is kept.
 */
export async function callEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: request.signal,
    });
    const { bytes, excerpt } = await readBody(response);
    return { status: response.status, headers: response.headers, bytes, excerpt, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    throw new EndpointUnreachableError(unreachableMessage(request, error), durationMs, { cause: error });
  }
}

async function readBody(response: Response): Promise<{ bytes: number; excerpt: string }> {
  if (!response.body) return { bytes: 0, excerpt: '' };
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    if (keptBytes < BODY_EXCERPT_BYTES) {
      const part = chunk.subarray(0, BODY_EXCERPT_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.byteLength;
    }
  }
  // A multi-byte character cut at the kilobyte becomes U+FFFD, never an exception.
  return { bytes, excerpt: Buffer.concat(kept).toString('utf8') };
}

function unreachableMessage(request: EndpointRequest, error: unknown): string {
  const target = `${request.method} ${request.url.origin}${request.url.pathname}`;
  if (request.signal.aborted) return `${target} was aborted at the task's timeout`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return `${target} got no response (${detail})`;
}
