import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      {
        resolve: { alias: workspaceAliases },
        test: { name: 'repo', environment: 'node', include: ['tests/**/*.test.ts'] },
      },
    ],
  },
});
