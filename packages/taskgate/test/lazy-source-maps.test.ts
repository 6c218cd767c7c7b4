import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workerEsbuildOptions } from '../src/cdk/worker-bundling';

const entry = path.join(__dirname, 'fixtures', 'source-maps', 'entry.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-source-maps-'));
const bundle = path.join(dir, 'index.mjs');

beforeAll(async () => {
  // Bundled as the Gate bundles a worker: minified, the map beside the bundle.
  await build({ ...workerEsbuildOptions(), entryPoints: [entry], outfile: bundle, logLevel: 'silent' });
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The fixture's stack in a fresh Node process (as a function's environment starts it, with `flags`). */
function stackIn(install: boolean, flags: string[] = []): { installed: boolean; stack: string } {
  const script = `import(${JSON.stringify(bundle)}).then((m) => process.stdout.write(JSON.stringify(m.stackOf(${install}))))`;
  const child = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout) as { installed: boolean; stack: string };
}

it('maps a bundle\'s stack trace to its source files, lines and names when the stack is formatted, without --enable-source-maps', () => {
  const { installed, stack } = stackIn(true);
  expect(installed).toBe(true);
  const [head, first, second] = stack.split('\n');
  expect(head).toBe('Error: cannot ship A-1');
  expect(first).toMatch(new RegExp(`^ {4}at \\S*ship \\(${escape(entry)}:7:11\\)$`));
  expect(second).toBe(`    at shipOrder (${entry}:12:24)`);
  expect(stack).not.toContain('index.mjs');
});

it('leaves the frames as the bundle\'s positions when it is not installed', () => {
  expect(stackIn(false).stack).toContain(`${bundle}:`);
});

it('steps aside under --enable-source-maps, where Node maps the same frames itself', () => {
  const { installed, stack } = stackIn(true, ['--enable-source-maps']);
  expect(installed).toBe(false);
  expect(stack).toContain(`    at shipOrder (${entry}:12:24)`);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
