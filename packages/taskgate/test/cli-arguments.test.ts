import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliFixtureStack } from './fixtures/app/cli-stack';
import { expectOneLineError, json } from './helpers/cli-fixture';
import { cdkAppFolder, runCli } from './helpers/run-cli';

const CLI_APP = path.join(__dirname, 'fixtures', 'app', 'cli-app.ts');

// No runtime answers: whatever a command can tell from its arguments and the app alone, it must
// say before it tries to connect, so the user fixes the typo first. The app is the CLI fixture app
// as a runtime that is gone left it (its synthesized app and a local.json whose servers are closed);
// with --stack the deployed template decides, after connecting.
const STALE_ENDPOINT = 'http://127.0.0.1:9';
const appDir = cdkAppFolder(CLI_APP);
const cli = (...args: string[]) => runCli(args, { cwd: appDir });
beforeAll(() => {
  const app = new App({ outdir: path.join(appDir, '.taskgate', 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } });
  new CliFixtureStack(app, 'Taskgate');
  app.synth();
  const gate = (name: string) => ({ queueUrl: `http://sqs.us-east-1.localhost:9/000000000000/${name}`, dlqUrl: `http://sqs.us-east-1.localhost:9/000000000000/${name}-dlq`, concurrency: 2 });
  const config = { region: 'us-east-1', sqsEndpoint: STALE_ENDPOINT, dynamodbEndpoint: STALE_ENDPOINT, ui: STALE_ENDPOINT, ledgerTable: 'ledger', gates: { default: gate('default') }, tasks: { 'cleanup-stray-instances': 'default' } };
  fs.writeFileSync(path.join(appDir, '.taskgate', 'local.json'), JSON.stringify(config));
});
afterAll(() => fs.rmSync(appDir, { recursive: true, force: true }));

const unknownTask = /unknown task "cleanup-stray-instancez" \(did you mean "cleanup-stray-instances"\?\)/;

describe('arguments are checked before anything is contacted', () => {
  it.each([
    [['trigger', 'cleanup-stray-instancez', '--local'], unknownTask],
    [['trigger', 'send-delivery-reminders', '--payload', '{"market":"fr"}', '--local'], /fails its schema: market/],
    [['trigger', 'cleanup-stray-instances', '--at', 'tomorrow', '--local'], /--at "tomorrow" is not a time/],
    [['history', '--task', 'cleanup-stray-instancez', '--local'], unknownTask],
    [['history', '--limit', '0', '--local'], /--limit must be a positive whole number/],
    [['backfill', 'cleanup-stray-instancez', '--from', '2h', '--to', '0s', '--local'], unknownTask],
    [['backfill', 'refresh-exchange-rates', '--from', '2h', '--to', '0s', '--max', '0', '--local'], /--max must be a positive whole number/],
    [['dlq', 'default', '--limit', '0', '--local'], /--limit must be a positive whole number/],
    [['redrive', 'default', '--rate', 'fast', '--local'], /--rate "fast" is not a rate/],
    [['schedules', '--count', 'x', '--local'], /--count must be a positive whole number/],
  ])('%j', async (args, expected) => {
    expectOneLineError(await cli(...args), expected);
  });

  it('a valid command gets as far as the connection', async () => {
    expectOneLineError(await cli('trigger', 'cleanup-stray-instances', '--local'), /no embedded runtime is answering \(ECONNREFUSED/);
  });
});

describe('trigger refuses what the worker would refuse, with the worker\'s own checks', () => {
  it.each([
    ['an empty --id', ['--id', ''], /the worker would refuse this message \(invalid-envelope\): "id" must be a string of 1-512 characters when given, got ""; nothing was sent/],
    ['a 600-character --id', ['--id', 'i'.repeat(600)], /\(invalid-envelope\): "id" must be a string of 1-512 characters/],
  ])('%s', async (_what, extra, expected) => {
    expectOneLineError(await cli('trigger', 'cleanup-stray-instances', ...extra, '--local'), expected);
  });

  it('a payload that makes the body larger than SQS takes', async () => {
    const file = path.join(appDir, 'big.json');
    fs.writeFileSync(file, JSON.stringify({ market: 'de', note: 'x'.repeat(300 * 1024) }));
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', `@${file}`, '--local'), /\(message-too-large\): message body is larger than 262144 bytes/);
  });

  it('the longest id the contract allows passes the checks', async () => {
    expectOneLineError(await cli('trigger', 'cleanup-stray-instances', '--id', 'i'.repeat(512), '--local'), /no embedded runtime is answering \(ECONNREFUSED/);
  });
});

describe('backfill', () => {
  it('refuses a window wholly in the future in one line', async () => {
    const iso = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString();
    expectOneLineError(
      await cli('backfill', 'refresh-exchange-rates', '--from', iso(5), '--to', iso(25), '--local'),
      /the window \S+ to \S+ is in the future; backfill sends ticks that are due, and the schedule sends these itself \(to run refresh-exchange-rates now: npx taskgate trigger refresh-exchange-rates\)/,
    );
  });
});

describe('what the CLI prints from its input', () => {
  it('escapes control characters of a task name in its error line', async () => {
    const result = await cli('trigger', 'x\u001b[31mRED\u001b[2J', '--local');
    expectOneLineError(result, /unknown task "x\\u001b\[31mRED\\u001b\[2J"/);
    expect(result.stderr).not.toContain('\u001b');
  });
});

describe('tasks', () => {
  // No runtime here at all: the CLI synthesizes the app of the folder (cdk.json) and reads its template.
  const fresh = cdkAppFolder(CLI_APP);
  afterAll(() => fs.rmSync(fresh, { recursive: true, force: true }));

  // Two synths of the app, each a tsx process: slow on a busy machine.
  it('summarizes each payload field readably; --json keeps the JSON Schema', async () => {
    const { stdout, code } = await runCli(['tasks'], { cwd: fresh });
    expect(code).toBe(0);
    expect(stdout).toMatch(/PAYLOAD FIELD\s+TYPE\s+REQUIRED/);
    expect(stdout).toMatch(/olderThanHours\s+integer > 0\s+optional, default 24/);
    expect(stdout).toMatch(/daysAhead\s+integer 1\.\.14\s+optional, default 1/);
    expect(stdout).toMatch(/market\s+"de" \| "at" \| "ch"\s+required/);
    expect(stdout).toMatch(/currencies\s+array of string matching \^\[A-Z\]\{3\}\$\s+optional, default \["EUR","USD"\]/);
    // No JSON Schema, and no bound that is only the number type's own range.
    expect(stdout).not.toMatch(/9007199254740991|"type"|\{"/);
    const rows = json<Array<{ name: string; payload: { properties: Record<string, { maximum?: number }> } }>>((await runCli(['tasks', '--json'], { cwd: fresh })).stdout);
    expect(rows.find((row) => row.name === 'cleanup-stray-instances')!.payload.properties.olderThanHours).toMatchObject({ type: 'integer', exclusiveMinimum: 0 });
  }, 120_000);
});
