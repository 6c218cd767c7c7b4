import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How one request fails, when it does. */
export type Fault =
  /** A 500 in the service's own JSON error shape, before the request reaches the server. */
  | 'error'
  /** The connection is cut before the request reaches the server. */
  | 'reset'
  /** The server applies the request; its answer is lost (the connection is cut). */
  | 'lost-answer';

export interface FaultProxyOptions {
  /** The server behind the proxy, `http://127.0.0.1:PORT`. */
  readonly target: string;
  /** `sqs` or `dynamodb`: the error shape of an injected 500. */
  readonly service: 'sqs' | 'dynamodb';
  /** A seeded random source in [0, 1), so a run's faults repeat with its seed. */
  readonly random: () => number;
  /**
   * Operations whose answer may not be lost (the `X-Amz-Target` action, e.g. `SendMessage`): a
   * standard queue cannot tell a resent message from a new one, so losing the answer of a send
   * duplicates it by design (SQS is at-least-once), which is not what a suite is checking.
   */
  readonly noLostAnswer?: readonly string[];
  /** Loses this answer (the server applied the request; the connection is cut), whatever the failure rate. */
  readonly loseAnswer?: (operation: string, body: Buffer) => boolean;
  /** Called with each request's operation (the `X-Amz-Target` action) and JSON input, as it arrives. */
  readonly onRequest?: (operation: string, input: Record<string, unknown>) => void;
  /** Called with each ReceiveMessage answer before the client sees it. */
  readonly onReceive?: (messages: ReadonlyArray<{ Body?: string; ReceiptHandle?: string }>) => Promise<void>;
}

/** What the proxy did, by fault kind and operation. */
export interface FaultCounts {
  forwarded: number;
  error: number;
  reset: number;
  'lost-answer': number;
}

/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of an embedded SQS or DynamoDB server: the
 * code under test talks to it through its ordinary endpoint setting, unchanged, and while a storm
 * is on, a share of its calls fail the ways a network and a service fail.
 */
export class FaultProxy {
  readonly counts: FaultCounts = { forwarded: 0, error: 0, reset: 0, 'lost-answer': 0 };
  private rate = 0;
  private readonly server: http.Server;
  private readonly target: URL;

  private constructor(private readonly options: FaultProxyOptions) {
    this.target = new URL(options.target);
    this.server = http.createServer((request, response) => this.handle(request, response));
    // Keep-alive sockets of the SDK clients must not hold close() open.
    this.server.keepAliveTimeout = 1_000;
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The share of calls that fail from now on (0 ends a storm). */
  setFailureRate(rate: number): void {
    this.rate = rate;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pickFault(operation: string): Fault | undefined {
    if (this.rate === 0 || this.options.random() >= this.rate) return undefined;
    const roll = this.options.random();
    if (roll < 0.4) return 'error';
    if (roll < 0.7 || this.options.noLostAnswer?.includes(operation)) return 'reset';
    return 'lost-answer';
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      this.options.onRequest?.(operation, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>);
      const fault = this.pickFault(operation);
      if (fault) this.counts[fault] += 1;
      if (fault === 'reset') return void request.socket.destroy();
      if (fault === 'error') return void this.injectedError(response);
      const upstream = http.request(
        { host: this.target.hostname, port: this.target.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => void this.answer(operation, fault, answer, Buffer.concat(parts), request, response));
        },
      );
      upstream.on('error', () => {
        if (!response.headersSent) response.writeHead(502).end();
      });
      upstream.end(Buffer.concat(chunks));
    });
  }

  private async answer(operation: string, fault: Fault | undefined, answer: http.IncomingMessage, body: Buffer, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (fault === 'lost-answer' || this.options.loseAnswer?.(operation, body)) return void request.socket.destroy();
    this.counts.forwarded += 1;
    if (operation === 'ReceiveMessage' && this.options.onReceive && answer.statusCode === 200) {
      const { Messages = [] } = JSON.parse(body.toString('utf8')) as { Messages?: Array<{ Body?: string; ReceiptHandle?: string }> };
      await this.options.onReceive(Messages);
    }
    response.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
  }

  private injectedError(response: http.ServerResponse): void {
    const type = this.options.service === 'sqs' ? 'com.amazonaws.sqs#InternalError' : 'com.amazonaws.dynamodb.v20120810#InternalServerError';
    response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: type, message: 'injected by the fault proxy' }));
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same faults and the same plan. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
