import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeOptions } from './options';
import { startRuntime, type LocalRuntime } from './runtime';

/**
 * `taskgate dev`: the embedded runtime of the CDK app in `root` (see `taskgate dev --help`). Prints
 * where everything is, then one line per run; Ctrl-C stops it cleanly.
 */
export async function startDev(root: string, options: RuntimeOptions): Promise<void> {
  // Printed once per SDK client otherwise; the runtime's own clients only talk to 127.0.0.1.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const out = { line: (text: string) => console.log(text) };
  console.log(`taskgate: starting; synthesizing the app${options.app ? ` (${options.app})` : ''}...`);
  const runtime = await startRuntime(root, options, out);
  console.log(banner(runtime, options, root));
  let stoppingSince: number | undefined;
  const stop = (signal: string) => {
    // A terminal's Ctrl-C reaches npm, tsx and this process, and each wrapper forwards it as well:
    // only a second Ctrl-C a moment later means "quit now".
    if (stoppingSince !== undefined && Date.now() - stoppingSince < 1500) return;
    if (stoppingSince !== undefined) {
      console.log('taskgate: stopping at once; messages of unfinished batches reappear after their visibility timeout');
      fs.rmSync(runtime.configFile, { force: true });
      process.exit(130);
    }
    stoppingSince = Date.now();
    console.log(`\ntaskgate: ${signal}: stopping the schedules and pollers; batches in flight finish (up to ${options.drainSeconds}s; Ctrl-C again to quit now)`);
    runtime.stop().then(
      (summary) => {
        if (summary.returned > 0) console.log(`taskgate: ${summary.returned} message(s) of unfinished batches returned to their queues`);
        for (const queue of summary.queues) {
          if (queue.visible + queue.inFlight + queue.delayed > 0) {
            console.log(`taskgate: left on ${queue.name}: ${queue.visible} visible, ${queue.inFlight} in flight, ${queue.delayed} delayed`);
          }
        }
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
  lines.push(`  config             ${path.relative(root, runtime.configFile)} (removed on exit)`);
  lines.push('', 'gates:');
  for (const [name, gate] of Object.entries(config.gates)) {
    lines.push(`  ${name.padEnd(14)} concurrency ${gate.concurrency}`);
    lines.push(`    queue ${gate.queueUrl}`);
    if (gate.dlqUrl) lines.push(`    DLQ   ${gate.dlqUrl}`);
  }
  lines.push('', `schedules${options.speed !== 1 ? ` (clock at ${options.speed}x)` : ''}:`);
  for (const schedule of runtime.scheduler.list()) {
    const next = schedule.next ? `next ${schedule.next}` : schedule.enabled ? 'no further tick' : 'paused';
    lines.push(`  ${schedule.name.padEnd(26)} ${schedule.expression} ${schedule.timeZone}  ${next}`);
  }
  const [task, gate] = Object.entries(config.tasks)[0] ?? ['<task>', Object.keys(config.gates)[0] ?? '<gate>'];
  const queueUrl = config.gates[gate]?.queueUrl ?? '<queue-url>';
  lines.push(
    '',
    'force-trigger a task:',
    `  npx taskgate trigger ${task}`,
    `  aws --endpoint-url ${config.sqsEndpoint} --region ${config.region} sqs send-message --queue-url ${queueUrl} --message-body '{"task":"${task}"}'`,
    `  (any access key works: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local)`,
  );
  for (const warning of runtime.warnings) lines.push(`warning: ${warning}`);
  lines.push('', 'runs (time, gate, task, outcome, duration, lateness):');
  return lines.join('\n');
}
