import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'taskgate',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // The constructs load the app's task module at synth, as a CDK app run by tsx does.
    setupFiles: ['test/setup-tsx.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The worker logs JSON through Powertools; tests assert on outcomes, not on log lines.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT', POWERTOOLS_DEV: 'false' },
  },
});
