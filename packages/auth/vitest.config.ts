import { defineProject } from 'vitest/config';
import { fastCheckSetup, workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'auth',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    setupFiles: [fastCheckSetup],
    // One worker process runs many files (no fresh module graph per file): the files share no
    // module state that matters (no vi.mock, fake timers or global stubs; servers on ephemeral
    // ports, data in fresh temporary directories and databases), and re-importing the
    // workspace sources for every file cost more than the tests themselves.
    isolate: false,
    // Bounds on hangs, not on speed: on a loaded two-core machine a server start or a child
    // process can take several seconds; what a test proves about time it asserts itself.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
