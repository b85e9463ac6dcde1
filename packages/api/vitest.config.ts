import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'api',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Suites create a PostgreSQL database and start servers in their hooks; on a busy shared
    // machine that can take longer than the default 10 s.
    hookTimeout: 30_000,
  },
});
