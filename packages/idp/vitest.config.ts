import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'idp',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // One worker process runs many files (no fresh module graph per file): the files share no
    // module state that matters (no vi.mock or global stubs; fake timers only where a file
    // restores them, session-max-lifespan's Date; servers on ephemeral ports, data in fresh
    // temporary directories and databases), and re-importing the workspace sources for every
    // file cost more than the tests themselves.
    isolate: false,
    // Bounds on hangs, not on speed: on a loaded two-core machine a server start or a child
    // process can take several seconds; what a test proves about time it asserts itself.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
