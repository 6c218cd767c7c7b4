import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `.taskgate/local.json`: written by the embedded runtime while it runs (docs/architecture.md), read by the
 * CLI (`--local`), scripts and `aws --endpoint-url`.
 */
export interface LocalConfig {
  readonly region: string;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly ledgerTable: string;
  readonly ui: string;
  /**
   * The control server's token, made at each start: its state-changing routes (pause, resume, fire,
   * the page's actions) need it in `X-Taskgate-Token`, so that no web page can act through them.
   * The file is written readable by its owner only.
   */
  readonly token: string;
  readonly gates: Readonly<Record<string, { readonly queueUrl: string; readonly dlqUrl: string; readonly concurrency: number }>>;
  readonly tasks: Readonly<Record<string, string>>;
  /**
   * The Scheduler group of one-time schedules and the role they send with (placeholders locally, as
   * the workers get them), for `taskgate trigger --at` beyond SQS's 15-minute delay. Absent when the
   * app has no taskgate workers.
   */
  readonly scheduleGroup?: string;
  readonly onceScheduleRoleArn?: string;
}

export function localConfigPath(projectRoot: string): string {
  return path.join(projectRoot, '.taskgate', 'local.json');
}

/** The running embedded runtime's config, or undefined when none is running. */
export function readLocalConfig(projectRoot: string): LocalConfig | undefined {
  try {
    return JSON.parse(fs.readFileSync(localConfigPath(projectRoot), 'utf8')) as LocalConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
