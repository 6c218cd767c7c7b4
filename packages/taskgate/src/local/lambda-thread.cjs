'use strict';
/**
 * One Lambda execution environment of the embedded runtime: a worker thread with the function's own
 * environment variables, which loads the deployed bundle (`<asset>/<file>.js`, export `<name>`) and
 * runs one invocation at a time with a Lambda-like context. Plain JavaScript: a worker thread does
 * not inherit tsx's loader, and the bundle it loads is plain JavaScript too.
 */
const { parentPort, workerData, threadId } = require('node:worker_threads');
const dns = require('node:dns');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// The embedded SQS server names its queues http://sqs.<region>.localhost:PORT/...; the SDK sends to
// the queue URL's host, which this machine's resolver may not map to loopback (RFC 6761 says it should).
const lookup = dns.lookup;
dns.lookup = function localhostLookup(hostname, options, callback) {
  if (typeof hostname === 'string' && hostname.endsWith('.localhost')) {
    const cb = typeof options === 'function' ? options : callback;
    const all = typeof options === 'object' && options !== null && options.all;
    return process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
  }
  return lookup.call(this, hostname, options, callback);
};

/** @type {{ assetPath: string, handler: string, functionName: string, memoryMb: number, region: string, accountId: string, traceFile?: string }} */
const config = workerData;

/** The function host's trace points (local/trace.ts), from inside the environment; off without a trace file. */
function trace(at, fields) {
  if (config.traceFile) fs.appendFileSync(config.traceFile, `${JSON.stringify({ t: Date.now(), at, env: threadId, ...fields })}\n`);
}

async function loadHandler() {
  const dot = config.handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler "${config.handler}" must be <file>.<export>, like index.handler`);
  const file = config.handler.slice(0, dot);
  const exportPath = config.handler.slice(dot + 1).split('.');
  let resolved;
  for (const extension of ['.js', '.cjs', '.mjs']) {
    const candidate = path.join(config.assetPath, file + extension);
    if (fs.existsSync(candidate)) {
      resolved = candidate;
      break;
    }
  }
  if (!resolved) throw new Error(`the bundle ${config.assetPath} has no ${file}.js for handler ${config.handler}`);
  // An ES module bundle (the Gate construct's, index.mjs) through import(), as Lambda's runtime loads it.
  const loaded = resolved.endsWith('.mjs') ? await import(pathToFileURL(resolved).href) : require(resolved);
  const fn = exportPath.reduce((object, key) => (object == null ? undefined : object[key]), loaded);
  if (typeof fn !== 'function') throw new Error(`${resolved} does not export a function "${exportPath.join('.')}" (handler ${config.handler})`);
  return fn;
}

let handler;
loadHandler().then(
  (loaded) => {
    handler = loaded;
    parentPort.postMessage({ type: 'ready' });
  },
  (error) => parentPort.postMessage({ type: 'load-error', error: serialize(error) }),
);

function serialize(error) {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };
}

function contextFor(requestId, deadline) {
  return {
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${config.region}:${config.accountId}:function:${config.functionName}`,
    memoryLimitInMB: String(config.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

parentPort.on('message', (message) => {
  if (message.type !== 'invoke') return;
  const { requestId, event, deadline } = message;
  trace('thread.invoke', { requestId });
  new Promise((resolve, reject) => {
    // A callback-style handler answers through the callback; an async one through its promise.
    const callback = (error, result) => (error ? reject(error) : resolve(result));
    const returned = handler(event, contextFor(requestId, deadline), callback);
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    else if (handler.length < 3) resolve(returned);
  }).then(
    (result) => {
      trace('thread.answer', { requestId, ok: true });
      parentPort.postMessage({ type: 'result', requestId, result });
    },
    (error) => {
      trace('thread.answer', { requestId, ok: false });
      parentPort.postMessage({ type: 'error', requestId, error: serialize(error) });
    },
  );
});
