import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'cli',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The device grant polls at the identity provider's interval (5 s): sign-ins take seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
