/**
 * `npm run bench`: runs every benchmark module under bench/ (each file that exports `measure`), one
 * after another so they do not compete for the cores, and prints one table of figures against their
 * baselines (bench/report.ts). A module added to bench/ joins the report without an edit here.
 *
 * Each module runs in a process of its own, as JMH forks a JVM per benchmark: what one module leaves
 * behind (a grown heap, optimized code, threads winding down) never weighs on the next one's figures,
 * and a module's figures do not depend on which modules ran before it.
 *
 *   npm run bench                      the table
 *   npm run bench -- --json            a JSON array of rows instead
 *   npm run bench -- --quick           reduced sizes, for a quick look (report full-size figures)
 *   npm run bench -- --only worker,embedded   only those modules
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hideSdkNodeWarning } from '../src/local/sdk-warning';
import { formatTable, type BenchRow } from './report';

interface BenchModule {
  readonly measure?: () => Promise<BenchRow[]>;
}

/** What a module's process sends back: its rows, or null when the file is not a benchmark (a helper such as the hand-written stacks). */
type ChildAnswer = BenchRow[] | null;

const CHILD_FLAG = '--module';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** In a module's own process: measures it and sends the rows to the parent. */
async function measureHere(file: string): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error(`${CHILD_FLAG} is how npm run bench starts a module's own process; to run one module, use npm run bench -- --only ${path.basename(file, '.ts')}`);
  const module = (await import(path.join(__dirname, file))) as BenchModule;
  let answer: ChildAnswer = null;
  if (typeof module.measure === 'function') {
    // Progress on stderr, so that stdout is the table (or the JSON) alone.
    process.stderr.write(`bench: ${file}...\n`);
    answer = await module.measure();
  }
  await new Promise<void>((resolve, reject) => send(answer, (error: Error | null) => (error ? reject(error) : resolve())));
  // Servers or timers a module leaves open must not keep its process, and so the whole run, alive.
  process.exit(0);
}

/** Runs one module in a child process (with this process's loader flags) and resolves with what it sent. */
function measureInChild(file: string): Promise<ChildAnswer> {
  return new Promise((resolve, reject) => {
    // The module's own output goes to stderr, so that stdout is the table (or the JSON) alone.
    const child = fork(__filename, [CHILD_FLAG, file], { stdio: ['ignore', 2, 2, 'ipc'] });
    let answer: ChildAnswer | undefined;
    child.on('message', (message) => (answer = message as ChildAnswer));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (answer !== undefined) resolve(answer);
      else reject(new Error(`bench: ${file} ended (${signal ?? `exit code ${code}`}) without its figures; its error is above`));
    });
  });
}

async function main(): Promise<void> {
  hideSdkNodeWarning();
  const child = option(CHILD_FLAG);
  if (child) return measureHere(child);
  const json = process.argv.includes('--json');
  // Read by the modules (report.ts quick()), in the child processes too: they inherit the environment.
  if (process.argv.includes('--quick')) process.env.TASKGATE_BENCH_QUICK = '1';
  const only = option('--only')?.split(',');
  const files = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.ts') && !file.startsWith('.') && !file.endsWith('.d.ts') && file !== path.basename(__filename))
    .filter((file) => !only || only.includes(path.basename(file, '.ts')))
    .sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const started = Date.now();
    const answer = await measureInChild(file);
    if (answer === null) continue;
    process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    rows.push(...answer);
  }
  if (rows.length === 0) throw new Error(`no benchmark module under ${__dirname} exports measure()${only ? ` among ${only.join(', ')}` : ''}`);
  console.log(json ? JSON.stringify(rows, null, 2) : formatTable(rows));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
