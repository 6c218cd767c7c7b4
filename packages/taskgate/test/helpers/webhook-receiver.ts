import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly arrivedAt: number;
  /** True when the client closed the connection before the receiver answered (an aborted request). */
  abortedByClient: boolean;
}

/** What the receiver answers; `delayMs` holds the request open first. */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly delayMs?: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Requests held open right now, and the most ever held open at once. */
  readonly open: () => number;
  readonly maxOpen: () => number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (a free port) that records every request (arrival time, headers,
 * body, whether the client aborted it) and answers with `answer(request, nthOnThisPath)`.
 */
export async function startWebhookReceiver(answer: (request: ReceivedRequest, nth: number) => Answer): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const perPath = new Map<string, number>();
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const nth = (perPath.get(path) ?? 0) + 1;
      perPath.set(path, nth);
      const request: ReceivedRequest = { path, method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), arrivedAt: Date.now(), abortedByClient: false };
      requests.push(request);
      open++;
      maxOpen = Math.max(maxOpen, open);
      const reply = answer(request, nth);
      let done = false;
      const finish = () => {
        if (!done) open--;
        done = true;
      };
      res.on('close', () => {
        if (!res.writableEnded) request.abortedByClient = true;
        finish();
      });
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    open: () => open,
    maxOpen: () => maxOpen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
