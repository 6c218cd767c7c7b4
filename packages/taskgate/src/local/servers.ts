import type { AddressInfo, Server } from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** A server the embedded runtime started, and how to stop it. */
export interface EmbeddedServer {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The embedded SQS or DynamoDB server, which counts what it serves. */
export interface AwsServer extends EmbeddedServer {
  /** Requests served so far, by operation (`ReceiveMessage`, `UpdateItem`, ...). */
  requestCounts(): Promise<RequestCounts>;
}

export type RequestCounts = Readonly<Record<string, number>>;

/** The flag and env var that set a port, so that "port taken" names what to change. */
export interface PortSetting {
  readonly port: number;
  readonly flag: string;
  readonly envVar: string;
  readonly what: string;
}

/**
 * The embedded SQS server: fauxqs 1.9.2, bound to 127.0.0.1 (its own `startFauxqs` binds every
 * interface), in its own worker thread. It speaks SQS's JSON protocol only.
 */
export function startSqsServer(setting: PortSetting): Promise<AwsServer> {
  return startServerThread('sqs', setting);
}

/** `expressionCache: false` gives dynalite as published, the reference the cache is tested and benchmarked against. */
export interface DynamoDbServerOptions {
  readonly expressionCache?: boolean;
}

/**
 * The embedded DynamoDB server: dynalite 4, in memory, tables ACTIVE at once, in its own worker
 * thread, parsing each expression once (expression-cache.cjs) unless told not to.
 */
export function startDynamoDbServer(setting: PortSetting, { expressionCache = true }: DynamoDbServerOptions = {}): Promise<AwsServer> {
  return startServerThread('dynamodb', setting, { expressionCache });
}

function startServerThread(kind: 'sqs' | 'dynamodb', setting: PortSetting, options: DynamoDbServerOptions = {}): Promise<AwsServer> {
  const thread = new Worker(path.join(__dirname, 'server-thread.cjs'), { workerData: { kind, port: setting.port, ...options } });
  return new Promise((resolve, reject) => {
    thread.once('error', reject);
    thread.once('message', (message: { port?: number; error?: string; code?: string }) => {
      if (message.port === undefined) {
        void thread.terminate();
        return reject(portError(Object.assign(new Error(message.error), { code: message.code }), setting));
      }
      const port = message.port;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        port,
        requestCounts: () =>
          new Promise<RequestCounts>((done) => {
            const onMessage = (reply: { counts?: RequestCounts }) => {
              if (!reply.counts) return;
              thread.off('message', onMessage);
              done(reply.counts);
            };
            thread.on('message', onMessage);
            thread.postMessage('counts');
          }),
        close: async () => {
          const closed = new Promise<void>((done) => thread.once('message', () => done()));
          thread.postMessage('close');
          await Promise.race([closed, new Promise((done) => setTimeout(done, 2000))]);
          await thread.terminate();
        },
      });
    });
  });
}

/** Listens on 127.0.0.1, turning EADDRINUSE into an error that says which flag to change. */
export function listen(server: Server, setting: PortSetting): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(portError(error, setting));
    server.once('error', onError);
    server.listen(setting.port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

function portError(error: unknown, setting: PortSetting): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `port ${setting.port} for the ${setting.what} is taken (another \`taskgate dev\`?); ` +
        `stop that process or choose another port with ${setting.flag} <port> or ${setting.envVar}=<port> (0 picks a free port)`,
    );
  }
  if (code === 'EACCES') return new Error(`port ${setting.port} for the ${setting.what} is not allowed for this user; use ${setting.flag} with a port above 1024`);
  return error as Error;
}
