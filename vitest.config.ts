import { defineConfig } from 'vitest/config';
import { fastCheckSetup, workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  test: {
    // Two workers on CI's two cores (Vitest's default is cores - 1, one worker there): the
    // suite waits on servers, timers and PostgreSQL more than it computes (one worker used
    // ~61 % of one core at load average 0.8-1.5, 954-1,013 s), so a second worker overlaps
    // those waits. Files may run side by side: each PostgreSQL suite creates its own
    // database, servers listen on ephemeral ports and data lives in fresh temporary
    // directories. CI on this two-core machine: 668 s with two workers (396 files, load
    // average 2.3-4.9), against 954-1,013 s with one.
    maxWorkers: 2,
    projects: [
      'packages/*/vitest.config.ts',
      {
        resolve: { alias: workspaceAliases },
        test: {
          name: 'repo',
          environment: 'node',
          include: ['tests/**/*.test.ts'],
          setupFiles: [fastCheckSetup],
          // As in the packages' projects: files share a worker's module graph, and the
          // timeouts bound hangs, not speed.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
