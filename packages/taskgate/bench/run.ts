/**
 * `npm run bench`: runs every benchmark module under bench/ (each file that exports `measure`), one
 * after another so they do not compete for the cores, and prints one table of figures against their
 * baselines (bench/report.ts). A module added to bench/ joins the report without an edit here.
 *
 *   npm run bench                      the table
 *   npm run bench -- --json            a JSON array of rows instead
 *   npm run bench -- --quick           reduced sizes, for a quick look (report full-size figures)
 *   npm run bench -- --only worker,embedded   only those modules
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hideSdkNodeWarning } from '../src/local/sdk-warning';
import { formatTable, type BenchRow } from './report';

interface BenchModule {
  readonly measure?: () => Promise<BenchRow[]>;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  hideSdkNodeWarning();
  const json = process.argv.includes('--json');
  if (process.argv.includes('--quick')) process.env.TASKGATE_BENCH_QUICK = '1';
  const only = option('--only')?.split(',');
  const files = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.ts') && !file.startsWith('.') && !file.endsWith('.d.ts') && file !== path.basename(__filename))
    .filter((file) => !only || only.includes(path.basename(file, '.ts')))
    .sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const module = (await import(path.join(__dirname, file))) as BenchModule;
    if (typeof module.measure !== 'function') continue;
    // Progress on stderr, so that stdout is the table (or the JSON) alone.
    const started = Date.now();
    process.stderr.write(`bench: ${file}...\n`);
    rows.push(...(await module.measure()));
    process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  if (rows.length === 0) throw new Error(`no benchmark module under ${__dirname} exports measure()${only ? ` among ${only.join(', ')}` : ''}`);
  console.log(json ? JSON.stringify(rows, null, 2) : formatTable(rows));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
