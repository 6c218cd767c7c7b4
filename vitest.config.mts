import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/taskgate/test/**/*.test.ts'],
    globalSetup: ['packages/taskgate/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: subprocess suites (cdk synth, npm start) compete with the rest.
    maxWorkers: 2,
    // The worker logs JSON through Powertools; tests assert on outcomes, not on log lines.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT', POWERTOOLS_DEV: 'false' },
  },
});
