'use strict';
/**
 * One embedded server in its own worker thread, so that the SQS server, the DynamoDB server and
 * the pollers each get a core instead of sharing one event loop. Plain JavaScript, as
 * lambda-thread.cjs is. Posts `{ port }` once listening or `{ error, code }`; closes on 'close';
 * answers 'counts' with `{ counts }`, the requests served by operation (the benchmark's cost model).
 */
const { parentPort, workerData } = require('node:worker_threads');

/** Requests by operation: both servers speak AWS JSON protocols, which name it in X-Amz-Target (`DynamoDB_20120810.PutItem`). */
const counts = {};
function countRequests(httpServer) {
  httpServer.prependListener('request', (request) => {
    const target = String(request.headers['x-amz-target'] ?? 'other');
    const operation = target.slice(target.lastIndexOf('.') + 1);
    counts[operation] = (counts[operation] ?? 0) + 1;
  });
}

async function start() {
  const { kind, port, expressionCache } = workerData;
  if (kind === 'sqs') {
    // fauxqs is ESM-only.
    const { buildApp } = await import('fauxqs');
    const app = buildApp({ logger: false });
    countRequests(app.server);
    await app.listen({ port, host: '127.0.0.1' });
    return { port: app.server.address().port, close: () => app.close() };
  }
  const dynalite = require('dynalite');
  // A worker has its own module registry: without the cache here, this thread's dynalite is as published.
  if (expressionCache !== false) require('./expression-cache.cjs').cacheDynaliteExpressions();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  countRequests(server);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { port: server.address().port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

start().then(
  (server) => {
    parentPort.postMessage({ port: server.port });
    parentPort.on('message', (message) => {
      if (message === 'close') server.close().then(() => parentPort.postMessage({ closed: true }));
      if (message === 'counts') parentPort.postMessage({ counts: { ...counts } });
    });
  },
  (error) => parentPort.postMessage({ error: error.message, code: error.code }),
);
