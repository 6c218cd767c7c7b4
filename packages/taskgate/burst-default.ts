// Issue 19 reproduction as reported: `taskgate dev` at the example app's root on the DEFAULT ports and
// the DEFAULT state dir, four messages sent the moment .taskgate/local.json appears. Not committed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { synthesize } from './src/local/synth';
import { burstBodies, trails } from './test/helpers/startup-burst';

const ROOT = '/work/main';
const RUNS = Number(process.argv[2] ?? 30);
const OUT = '/work/burst';

async function main() {
  const cache = path.join(OUT, 'synth');
  if (!fs.existsSync(path.join(cache, 'manifest.json'))) await synthesize(ROOT, cache);
  let stuckRuns = 0;
  for (let run = 0; run < RUNS; run++) {
    const traceFile = path.join(OUT, `trace-${run}.jsonl`);
    fs.writeFileSync(traceFile, '');
    const localJson = path.join(ROOT, '.taskgate', 'local.json');
    if (fs.existsSync(localJson)) throw new Error('stale local.json before start');
    const child = spawn('node', [path.join(ROOT, 'packages/taskgate/dist/cli/bin.js'), 'dev', '--app', `cp -R '${cache}/.' "$CDK_OUTDIR"`], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TASKGATE_TRACE: traceFile } });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c));
    child.stderr!.on('data', (c: Buffer) => (output += c));
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    let config: any;
    const t0 = Date.now();
    for (;;) {
      try { config = JSON.parse(fs.readFileSync(localJson, 'utf8')); break; } catch { /* not yet */ }
      if (Date.now() - t0 > 120_000) throw new Error('no local.json: ' + output);
      await new Promise((r) => setTimeout(r, 5));
    }
    const sqs = new SQSClient({ endpoint: config.sqsEndpoint, region: config.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const bodies = burstBodies(run);
    const sent = await Promise.all(bodies.map(async (body) => ({ body, messageId: (await sqs.send(new SendMessageCommand({ QueueUrl: config.gates.default.queueUrl, MessageBody: body }))).MessageId! })));
    sqs.destroy();
    const deadline = Date.now() + 20_000;
    let messages = trails(traceFile, sent);
    while (messages.some((m) => m.points['poller.answered'] === undefined) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      messages = trails(traceFile, sent);
    }
    const stuck = messages.filter((m) => m.points['poller.answered'] === undefined);
    if (stuck.length) {
      stuckRuns++;
      fs.writeFileSync(path.join(OUT, `stuck-${run}.log`), output);
      fs.writeFileSync(path.join(OUT, `stuck-${run}.json`), JSON.stringify(messages, null, 1));
    } else fs.rmSync(traceFile);
    console.log(`run ${run}: ${stuck.length ? 'STUCK ' + stuck.map((m) => m.body + ' at ' + Object.keys(m.points).pop()).join('; ') : 'ok'} (${Date.now() - t0} ms)`);
    process.kill(-child.pid!, 'SIGINT');
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
    await closed;
    clearTimeout(killer);
  }
  console.log(`${stuckRuns} of ${RUNS} runs stuck`);
}
main().catch((e) => { console.error(e); process.exit(1); });
