import type { AddressInfo, Server } from 'node:net';

/** A server the embedded runtime started, and how to stop it. */
export interface EmbeddedServer {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The flag and env var that set a port, so that "port taken" names what to change. */
export interface PortSetting {
  readonly port: number;
  readonly flag: string;
  readonly envVar: string;
  readonly what: string;
}

/**
 * The embedded SQS server: fauxqs 1.9.2 in this process, bound to 127.0.0.1 (its own
 * `startFauxqs` binds every interface). It speaks SQS's JSON protocol only.
 */
export async function startSqsServer(setting: PortSetting): Promise<EmbeddedServer> {
  // fauxqs is ESM-only; a dynamic import keeps this CommonJS package loading it.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  try {
    await app.listen({ port: setting.port, host: '127.0.0.1' });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw portError(error, setting);
  }
  const port = (app.server.address() as AddressInfo).port;
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => app.close() };
}

/** The embedded DynamoDB server: dynalite 4, in memory, tables ACTIVE at once. */
export async function startDynamoDbServer(setting: PortSetting): Promise<EmbeddedServer> {
  // dynalite has no type declarations; this is the slice of it used here.
  const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, setting);
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
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
      `port ${setting.port} for the ${setting.what} is taken (another \`npm start\`?); ` +
        `stop that process or choose another port with ${setting.flag} <port> or ${setting.envVar}=<port> (0 picks a free port)`,
    );
  }
  if (code === 'EACCES') return new Error(`port ${setting.port} for the ${setting.what} is not allowed for this user; use ${setting.flag} with a port above 1024`);
  return error as Error;
}
