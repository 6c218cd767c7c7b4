import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the endpoint answered. */
export interface EndpointRequest {
  /** Arrival, epoch ms. */
  readonly at: number;
  /** The `webhook-id` header: the run id, by which a receiver deduplicates. */
  readonly runId: string;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A downstream for the rate drill: a real HTTP server on 127.0.0.1 that records each request's
 * arrival time, headers and body and the most requests it held open at once. It starts down and
 * stays down until `outageMs` have passed since the first request reached it and it has refused
 * `refusals` requests (so the callers really meet the outage and retry, however long they take
 * to start), answering 503 at once as a service in maintenance does; then it is up and answers
 * 200 after `latencyMs`, as a real service takes its time.
 */
export class RecordingEndpoint {
  readonly requests: EndpointRequest[] = [];
  down = true;
  open = 0;
  peakOpen = 0;
  private server?: http.Server;
  private outageEndsAt?: number;

  constructor(
    private readonly latencyMs: number,
    private readonly outage: { readonly outageMs: number; readonly refusals: number },
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      const at = Date.now();
      this.outageEndsAt ??= at + this.outage.outageMs;
      if (this.down && at >= this.outageEndsAt && this.refused() >= this.outage.refusals) this.down = false;
      this.open++;
      this.peakOpen = Math.max(this.peakOpen, this.open);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const runId = String(request.headers['webhook-id'] ?? '');
        const status = this.down ? 503 : 200;
        const answer = () => {
          this.requests.push({ at, runId, status, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
          this.open--;
          response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'down for maintenance');
        };
        if (status === 200) setTimeout(answer, this.latencyMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Requests answered 503. */
  refused(): number {
    return this.requests.filter((request) => request.status === 503).length;
  }

  /** Run ids answered 200, with how many times each was. */
  successes(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const request of this.requests) if (request.status === 200) counts.set(request.runId, (counts.get(request.runId) ?? 0) + 1);
    return counts;
  }

  /** The most requests that arrived inside any window of `windowMs`. */
  busiestWindow(windowMs: number): number {
    const times = this.requests.map((request) => request.at).sort((a, b) => a - b);
    let best = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= windowMs) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
