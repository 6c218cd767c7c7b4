import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The package's suites and the example app's, in one run.
    projects: [
      'packages/taskgate',
      {
        test: {
          name: 'app',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
    // Two cores: subprocess suites (cdk synth, taskgate dev) compete with the rest.
    maxWorkers: 2,
  },
});
