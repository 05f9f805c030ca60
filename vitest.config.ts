import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `int` talks to real peers (PostgreSQL, chDB,
// nginx, …) and runs each file in its own process, because chDB allows one data directory
// per process.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['src/**/*.int.test.ts', 'node_modules/**'],
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'int',
          include: ['src/**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
