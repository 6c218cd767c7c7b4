import * as path from 'node:path';
import type { RuntimeOptions } from './options';
import { CLI } from '../cli/format';
import { startRuntime, type LocalRuntime } from './runtime';
import { hideSdkNodeWarning } from './sdk-warning';

/** Why nothing survives a stop: said where a user might expect queued messages to come back. */
const IN_MEMORY = 'the embedded SQS and DynamoDB keep their state in memory, so';

/**
 * `taskgate dev`: the embedded runtime of the CDK app in `root` (see `taskgate dev --help`). Prints
 * where everything is, then one line per run; Ctrl-C stops it cleanly.
 */
export async function startDev(root: string, options: RuntimeOptions): Promise<void> {
  // For this process and the synth it starts; the workers' threads get it in their environment.
  hideSdkNodeWarning();
  const out = { line: (text: string) => console.log(text) };
  const runtime = await startRuntime(root, options, out);
  // However the process ends, the files it wrote go (only those still its own: see StateDirLock).
  process.on('exit', () => runtime.release());
  console.log(banner(runtime, options, root));
  let stoppingSince: number | undefined;
  const stop = (signal: string) => {
    // A terminal's Ctrl-C reaches npm, tsx and this process, and each wrapper forwards it as well:
    // only a second Ctrl-C a moment later means "quit now".
    if (stoppingSince !== undefined && Date.now() - stoppingSince < 1500) return;
    if (stoppingSince !== undefined) {
      console.log(`taskgate: stopping at once; ${IN_MEMORY} every queued message, those of unfinished batches included, is gone`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    console.log(`\ntaskgate: ${signal}: stopping the schedules and pollers; batches in flight finish (up to ${options.drainSeconds}s; Ctrl-C again to quit now)`);
    runtime.stop().then(
      (summary) => {
        if (summary.returned > 0) console.log(`taskgate: ${summary.returned} message(s) of unfinished batches returned to their queues`);
        const left = summary.queues.filter((queue) => queue.visible + queue.inFlight + queue.delayed > 0);
        for (const queue of left) console.log(`taskgate: left on ${queue.name}: ${queue.visible} visible, ${queue.inFlight} in flight, ${queue.delayed} delayed`);
        if (left.length > 0) console.log(`taskgate: ${IN_MEMORY} the messages left are gone when it exits`);
        console.log('taskgate: stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`taskgate: stopping failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function banner(runtime: LocalRuntime, options: RuntimeOptions, root: string): string {
  const { config } = runtime;
  const lines: string[] = [''];
  const target = options.target === 'localstack' ? `LocalStack at ${config.sqsEndpoint} (schedules only)` : 'embedded, no Docker';
  lines.push(`taskgate is running (${target})`);
  lines.push(`  SQS endpoint       ${config.sqsEndpoint}`);
  lines.push(`  DynamoDB endpoint  ${config.dynamodbEndpoint}${config.ledgerTable ? `   ledger table ${config.ledgerTable}` : ''}`);
  lines.push(`  control / UI       ${config.ui}`);
  if (options.target !== 'localstack' && config.ledgerTable) lines.push(`  request API        POST ${config.ui}/tasks/{name}   GET ${config.ui}/runs/{task}/{runId}`);
  lines.push(`  config             ${path.relative(root, runtime.configFile)} (removed on exit)`);
  if (config.taskgates) {
    lines.push('', `taskgates (address one with ${CLI} --taskgate NAME; another's gates and schedules are NAME/...):`);
    for (const [name, taskgate] of Object.entries(config.taskgates)) lines.push(`  ${name.padEnd(14)} ledger table ${taskgate.ledgerTable}`);
  }
  lines.push('', 'gates:');
  for (const gate of runtime.gates) {
    lines.push(`  ${gate.name.padEnd(14)} concurrency ${gate.concurrency}`);
    lines.push(`    queue ${gate.queue.url}`);
    if (gate.deadLetterQueue) lines.push(`    DLQ   ${gate.deadLetterQueue.url}`);
  }
  lines.push('', `schedules${options.speed !== 1 ? ` (clock at ${options.speed}x)` : ''}:`);
  const schedules = runtime.scheduler.list();
  const nameWidth = Math.max(26, ...schedules.map((schedule) => schedule.name.length + 1));
  for (const schedule of schedules) {
    const next = schedule.next ? `next ${schedule.next}` : schedule.enabled ? 'no further tick' : 'paused';
    lines.push(`  ${schedule.name.padEnd(nameWidth)} ${schedule.expression} ${schedule.timeZone}  ${next}`);
  }
  const [task, gate] = Object.entries(config.tasks)[0] ?? ['<task>', Object.keys(config.gates)[0] ?? '<gate>'];
  const queueUrl = config.gates[gate]?.queueUrl ?? '<queue-url>';
  lines.push(
    '',
    'force-trigger a task:',
    `  ${CLI} trigger ${task}`,
    `  aws --endpoint-url ${config.sqsEndpoint} --region ${config.region} sqs send-message --queue-url ${queueUrl} --message-body '{"task":"${task}"}'`,
    `  (any access key works: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local)`,
  );
  for (const warning of runtime.warnings) lines.push(`warning: ${warning}`);
  lines.push('', 'runs (time, gate, task, outcome, duration, lateness):');
  return lines.join('\n');
}
