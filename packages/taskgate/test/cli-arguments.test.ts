import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/local/synth';
import { expectOneLineError } from './helpers/cli-fixture';
import { ROOT, runCli, TSX } from './helpers/run-cli';

// No runtime runs and no stack exists: whatever a command can tell from its arguments and the app
// alone, it must say before it tries to connect, so the user fixes the typo first. The CLI runs in
// the folder of a CDK app (the package's fixture app): its cdk.json's app command hands over the
// fixture app synthesized once here (an app command need only leave an assembly in CDK_OUTDIR),
// so the CLI learns the tasks from the template as it does in any app, without a synth per run.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-args-'));
const appDir = path.join(work, 'app');
const cli = (...args: string[]) => runCli(args, { cwd: appDir });
beforeAll(async () => {
  const assembly = path.join(work, 'assembly');
  await synthesize(ROOT, assembly, `node "${TSX}" test/fixtures/app/app.ts`);
  fs.mkdirSync(appDir);
  const copy = `node -e "require('fs').cpSync(process.argv[1], process.env.CDK_OUTDIR, { recursive: true })" "${assembly}"`;
  fs.writeFileSync(path.join(appDir, 'cdk.json'), JSON.stringify({ app: copy }));
}, 120_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const unknownTask = /unknown task "fixture-fastt" \(did you mean "fixture-fast"\?\)/;
const stack = ['--stack', 'Taskgate', '--region', 'eu-west-1'];

describe('arguments are checked before anything is contacted', () => {
  it.each([
    [['trigger', 'fixture-fastt', '--local'], unknownTask],
    [['trigger', 'fixture-fast', '--payload', '{"n":"x"}', '--local'], /fails its schema: n/],
    [['trigger', 'fixture-fast', '--at', 'tomorrow', '--local'], /--at "tomorrow" is not a time/],
    [['history', '--task', 'fixture-fastt', '--local'], unknownTask],
    [['history', '--limit', '0', '--local'], /--limit must be a positive whole number/],
    [['backfill', 'fixture-fastt', '--from', '2h', '--to', '0s', '--local'], unknownTask],
    [['backfill', 'fixture-fast', '--from', '2h', '--to', '0s', '--max', '0', '--local'], /--max must be a positive whole number/],
    [['dlq', 'default', '--limit', '0', '--local'], /--limit must be a positive whole number/],
    [['redrive', 'default', '--rate', 'fast', '--local'], /--rate "fast" is not a rate/],
    [['schedules', '--count', 'x', '--local'], /--count must be a positive whole number/],
  ])('%j', async (args, expected) => {
    expectOneLineError(await cli(...args), expected);
  });

  it('a valid command gets as far as the connection', async () => {
    expectOneLineError(await cli('trigger', 'fixture-fast', '--local'), /no embedded runtime running/);
  });

  // With --stack the app's tasks are the deployed template's, so a task name can only be checked
  // after reading the stack (here: no credentials, the first thing the connection needs). The flags
  // and the message contract's limits on what was typed are still checked before that.
  it.each([
    [['trigger', 'fixture-fastt', ...stack], /no AWS credentials found/],
    [['trigger', 'fixture-fast', '--at', 'tomorrow', ...stack], /--at "tomorrow" is not a time/],
    [['trigger', 'fixture-fast', '--id', '', ...stack], /the worker would refuse this message \(invalid-envelope\): "id" must be a string of 1-512 characters/],
    [['backfill', 'fixture-fast', '--from', '2h', '--to', '0s', '--max', '0', ...stack], /--max must be a positive whole number/],
  ])('with --stack: %j', async (args, expected) => {
    expectOneLineError(await cli(...args), expected);
  });

  it('a flag needs no app: it is refused outside an app\'s folder too, before the app is looked for', async () => {
    const outside = (...args: string[]) => runCli(args, { cwd: work });
    expectOneLineError(await outside('backfill', 'fixture-fast', '--from', '2h', '--to', '0s', '--max', '0', '--local'), /--max must be a positive whole number/);
    expectOneLineError(await outside('trigger', 'fixture-fast', '--at', 'tomorrow', '--local'), /--at "tomorrow" is not a time/);
  });
});

describe('trigger refuses what the worker would refuse, with the worker\'s own checks', () => {
  it.each([
    ['an empty --id', ['--id', ''], /the worker would refuse this message \(invalid-envelope\): "id" must be a string of 1-512 characters when given, got ""; nothing was sent/],
    ['a 600-character --id', ['--id', 'i'.repeat(600)], /\(invalid-envelope\): "id" must be a string of 1-512 characters/],
  ])('%s', async (_what, extra, expected) => {
    expectOneLineError(await cli('trigger', 'fixture-fast', ...extra, '--local'), expected);
  });

  it('a payload that makes the body larger than SQS takes', async () => {
    const file = path.join(work, 'big.json');
    fs.writeFileSync(file, JSON.stringify({ n: 1, note: 'x'.repeat(300 * 1024) }));
    expectOneLineError(await cli('trigger', 'fixture-fast', '--payload', `@${file}`, '--local'), /\(message-too-large\): message body is larger than 262144 bytes/);
  });

  it('the longest id the contract allows passes the checks', async () => {
    expectOneLineError(await cli('trigger', 'fixture-fast', '--id', 'i'.repeat(512), '--local'), /no embedded runtime running/);
  });
});

describe('backfill', () => {
  it('refuses a window wholly in the future in one line', async () => {
    const iso = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString();
    expectOneLineError(
      await cli('backfill', 'fixture-fast', '--from', iso(5), '--to', iso(25), '--local'),
      /the window \S+ to \S+ is in the future; backfill sends ticks that are due, and the schedule sends these itself \(to run fixture-fast now: npx taskgate trigger fixture-fast\)/,
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
