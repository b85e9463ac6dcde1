import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';

export default defineProject({
  plugins: [react()],
  test: {
    name: 'web',
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/support/setup.ts'],
    // Bounds on hangs, not on speed, as in the other projects: Vitest's 5 s default failed
    // eight of these files on two shared cores at load average 16-19 (a test that takes
    // 0.5 s on a quiet machine took 5-7 s there); what a test proves about time it asserts
    // itself.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
