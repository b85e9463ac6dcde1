import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

/**
 * `npm run soak`: the heavy variants of the reliability and security suites, for
 * `SOAK_SECONDS` (default 60), never part of `npm test`. Prints one summary table.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: { alias: workspaceAliases },
  test: {
    name: 'soak',
    environment: 'node',
    include: ['tests/soak/**/*.soak.ts'],
    testTimeout: 0,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
