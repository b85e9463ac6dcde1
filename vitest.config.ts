import { defineConfig } from 'vitest/config';
import { fastCheckSetup, workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  test: {
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
