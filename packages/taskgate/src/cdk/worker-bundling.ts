import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** How a gate worker is bundled: the levers the worker benchmark (bench/worker.ts) compares. */
export interface WorkerBundleChoice {
  readonly format: 'cjs' | 'esm';
  /** Bundle the AWS SDK clients the worker uses (tree-shaken from their ES modules) instead of loading the runtime's copy. */
  readonly bundleSdk: boolean;
}

/** The choice the Gate construct ships; docs/architecture.md's Performance section has the numbers behind it. */
export const WORKER_BUNDLE: WorkerBundleChoice = { format: 'esm', bundleSdk: true };

const ESM_REQUIRE_BANNER = "import { createRequire as __taskgateRequire } from 'node:module'; const require = __taskgateRequire(import.meta.url);";

/** esbuild's options for a choice: what NodejsFunction passes it, and what the benchmark builds with. */
export function workerEsbuildOptions(choice: WorkerBundleChoice = WORKER_BUNDLE) {
  return {
    bundle: true,
    minify: true,
    // With NODE_OPTIONS=--enable-source-maps (the Gate sets it), a task's stack trace names its source lines.
    sourcemap: true,
    // Mappings only: Node maps stack traces without the sources' text, and with NODE_OPTIONS=--enable-source-maps
    // it reads and parses the whole map at load; the text was two thirds of it (3 MB of 3.1), about 12 ms of a cold start.
    sourcesContent: false,
    platform: 'node' as const,
    target: 'node22',
    format: choice.format,
    external: choice.bundleSdk ? [] : ['@aws-sdk/*'],
    // ES module builds first: esbuild drops what the worker does not import only from those.
    mainFields: choice.bundleSdk ? ['module', 'main'] : undefined,
    // An ES module bundle still holds CommonJS dependencies that call require().
    banner: choice.format === 'esm' ? { js: ESM_REQUIRE_BANNER } : undefined,
  };
}

/** NodejsFunction's bundling props for a choice (bundled locally with esbuild, never in Docker). */
export function workerBundling(choice: WorkerBundleChoice = WORKER_BUNDLE): nodejs.BundlingOptions {
  const options = workerEsbuildOptions(choice);
  return {
    minify: options.minify,
    sourceMap: options.sourcemap,
    sourcesContent: options.sourcesContent,
    target: options.target,
    format: choice.format === 'esm' ? nodejs.OutputFormat.ESM : nodejs.OutputFormat.CJS,
    externalModules: options.external,
    mainFields: options.mainFields,
    banner: options.banner?.js,
    forceDockerBundling: false,
  };
}
