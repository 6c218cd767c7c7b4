// Regenerates docs/ui.png, the README's picture of the operator page: runs the example app with
// `taskgate dev` (free ports, its own state dir, the clock at 60x), gives it some work and two
// kinds of dead letters, and photographs the page in Debian's headless chromium. Offline: the
// browser may load nothing but the page's own origin. `npm run screenshot -w taskgate`.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium } from 'playwright-core';

const packageRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const appRoot = path.resolve(packageRoot, '..', '..');
const output = path.join(appRoot, 'docs', 'ui.png');
const stateDir = '.taskgate/screenshot';
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!fs.existsSync(CHROMIUM)) {
  console.error(`screenshot: ${CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)`);
  process.exit(1);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dev = spawn(process.execPath, [path.join(packageRoot, 'dist', 'cli', 'bin.js'), 'dev', '--state-dir', stateDir, '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', '--speed', '60', '--fire-now', 'all'], {
  cwd: appRoot,
  detached: true,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stop = () => {
  try {
    process.kill(-dev.pid, 'SIGINT');
  } catch {
    // Already gone.
  }
};
process.on('exit', stop);

try {
  const configFile = path.join(appRoot, stateDir, 'local.json');
  for (let waited = 0; !fs.existsSync(configFile); waited += 200) {
    if (waited > 120_000 || dev.exitCode !== null) throw new Error('taskgate dev did not start');
    await sleep(200);
  }
  await sleep(500);
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const post = (route, body) =>
    fetch(`${config.ui}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-taskgate-token': config.token }, body: JSON.stringify(body) });
  for (const market of ['de', 'at', 'ch']) await post('/ui/api/trigger', { task: 'send-delivery-reminders', payload: { market } });
  await post('/ui/api/trigger', { task: 'cleanup-stray-instances', payload: { olderThanHours: 2 } });
  // What a broken producer sends: payloads the schema refuses, and a misspelt task.
  const sqs = new SQSClient({ endpoint: config.sqsEndpoint, region: config.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const market of [42, 7, 19]) await sqs.send(new SendMessageCommand({ QueueUrl: config.gates['email-api'].queueUrl, MessageBody: JSON.stringify({ task: 'send-delivery-reminders', payload: { market } }) }));
  await sqs.send(new SendMessageCommand({ QueueUrl: config.gates.default.queueUrl, MessageBody: JSON.stringify({ task: 'cleanup-stray-instance' }) }));
  sqs.destroy();
  await sleep(8000);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-screenshot-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 960 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.route('**/*', (route) => (route.request().url().startsWith(config.ui) ? route.continue() : route.abort()));
    await page.goto(config.ui);
    await page.waitForSelector('#failures tr[data-group]');
    fs.mkdirSync(path.dirname(output), { recursive: true });
    // The first screen: gates, failures by cause, schedules and the newest runs.
    await page.screenshot({ path: output });
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`wrote ${path.relative(appRoot, output)} (${fs.statSync(output).size} bytes)`);
} finally {
  stop();
  // Its state dir goes once the runtime has stopped (it removes only its own local.json and lock).
  if (dev.exitCode === null) await new Promise((resolve) => dev.once('exit', resolve));
  fs.rmSync(path.join(appRoot, stateDir), { recursive: true, force: true });
}
