import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'cli',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // One worker process runs many files (no fresh module graph per file): the files share no
    // module state that matters (no vi.mock, fake timers or global stubs; servers on ephemeral
    // ports, data in fresh temporary directories and databases), and re-importing the
    // workspace sources for every file cost more than the tests themselves.
    isolate: false,
    // The device grant polls at the identity provider's interval (5 s): sign-ins take seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
