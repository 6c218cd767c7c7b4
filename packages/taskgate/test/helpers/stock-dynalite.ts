import { Worker } from 'node:worker_threads';

/**
 * dynalite as published, without the embedded runtime's expression cache (src/local/expression-cache.cjs),
 * in a worker thread of its own as the embedded server runs: the reference the cached server is
 * checked against (test/integration/ledger-concurrency.test.ts) and measured against (bench/embedded.ts).
 * A worker has its own module registry, so the cache another thread installed does not reach it.
 */
export async function startStockDynalite(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`;
  const thread = new Worker(source, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => void (await thread.terminate()),
  };
}
