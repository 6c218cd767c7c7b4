import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');

/** A worker bundle in a folder of its own, loadable by the embedded runtime's FunctionHost. */
export interface WorkerBundle {
  readonly assetPath: string;
  /** `index.handler`. */
  readonly handler: string;
  dispose(): void;
}

/**
 * Bundles a worker entry (a TypeScript module exporting `handler`) with esbuild, as the Gate
 * construct does, into the package's git-ignored `.taskgate/`. Packages stay external: the bundle
 * resolves them from the package's node_modules, and each execution environment loads faster.
 */
export async function bundleWorker(entry: string): Promise<WorkerBundle> {
  fs.mkdirSync(path.join(ROOT, '.taskgate'), { recursive: true });
  const assetPath = fs.mkdtempSync(path.join(ROOT, '.taskgate', 'bundle-'));
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', outfile: path.join(assetPath, 'index.js'), logLevel: 'silent' });
  return { assetPath, handler: 'index.handler', dispose: () => fs.rmSync(assetPath, { recursive: true, force: true }) };
}
