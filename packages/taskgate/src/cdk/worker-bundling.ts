import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** How a gate worker is bundled: the levers the worker benchmark (bench/worker.ts) compares. */
export interface WorkerBundleChoice {
  readonly format: 'cjs' | 'esm';
  /** Bundle the AWS SDK clients the worker uses (tree-shaken from their ES modules) instead of loading the runtime's copy. */
  readonly bundleSdk: boolean;
}

/** The choice the Gate construct ships; docs/architecture.md's Performance section has the numbers behind it. */
export const WORKER_BUNDLE: WorkerBundleChoice = { format: 'esm', bundleSdk: true };

/**
 * Node's flags for the worker function (NODE_OPTIONS), which the benchmark starts its cold starts
 * with too. None: `--enable-source-maps` read the whole map at every cold start; the worker maps
 * stack traces itself when one is first formatted (src/worker/lazy-source-maps.ts).
 */
export const WORKER_NODE_FLAGS: readonly string[] = [];

const ESM_REQUIRE_BANNER = "import { createRequire as __taskgateRequire } from 'node:module'; const require = __taskgateRequire(import.meta.url);";

/** esbuild's options for a choice: what NodejsFunction passes it, and what the benchmark builds with. */
export function workerEsbuildOptions(choice: WorkerBundleChoice = WORKER_BUNDLE) {
  return {
    bundle: true,
    minify: true,
    // Beside the bundle, read when a stack trace is first formatted (src/worker/lazy-source-maps.ts): a task's stack trace names its source lines.
    sourcemap: true,
    // Mappings only: stack traces are mapped without the sources' text, which was two thirds of the map (3 MB of 3.1).
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
