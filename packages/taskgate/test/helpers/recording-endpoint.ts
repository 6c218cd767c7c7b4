import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the endpoint answered. */
export interface EndpointRequest {
  /** Arrival, epoch ms. */
  readonly at: number;
  readonly runId: string;
  readonly status: number;
}

/**
 * A downstream for the rate drill: a real HTTP server on 127.0.0.1 that records each request's
 * arrival time and run id and the most requests it held open at once. While `down` it answers
 * 503 at once; while up it answers 200 after `latencyMs`, as a real service takes its time.
 */
export class RecordingEndpoint {
  readonly requests: EndpointRequest[] = [];
  down = true;
  open = 0;
  peakOpen = 0;
  private server?: http.Server;

  constructor(private readonly latencyMs: number) {}

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      const at = Date.now();
      this.open++;
      this.peakOpen = Math.max(this.peakOpen, this.open);
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const runId = String((JSON.parse(body || '{}') as { runId?: unknown }).runId ?? '');
        const status = this.down ? 503 : 200;
        const answer = () => {
          this.requests.push({ at, runId, status });
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
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
