// Builds the package into dist/: tsc emits JavaScript and .d.ts, the worker-thread .cjs files and
// the operator page's assets are copied as they are (plain JavaScript that the embedded runtime starts by path), and the CLI entry
// is made executable for npm's bin link.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
const tsc = path.join(path.dirname(fileURLToPath(import.meta.resolve('typescript/package.json'))), 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  // tsc has printed the errors.
  process.exit(1);
}
for (const file of fs.readdirSync(path.join(root, 'src', 'local')).filter((name) => name.endsWith('.cjs'))) {
  fs.copyFileSync(path.join(root, 'src', 'local', file), path.join(dist, 'local', file));
}
// The operator page's files, served as they are (no bundler, no build step at run time).
fs.cpSync(path.join(root, 'src', 'ui', 'assets'), path.join(dist, 'ui', 'assets'), { recursive: true });
fs.chmodSync(path.join(dist, 'cli', 'bin.js'), 0o755);
