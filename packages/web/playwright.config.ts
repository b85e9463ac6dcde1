import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/support/chromium.js';

/**
 * End-to-end tests in Debian's Chromium against the real dev IdP, API and web server, all
 * started on 127.0.0.1 ephemeral ports. Two workers, each with a stack of its own (the `urls`
 * fixture; the global setup only builds): the scenarios of one worker share its IdP and
 * database and run file by file in name order, and most of a scenario's time is spent waiting
 * (on the browser, the servers, timers), so two of them fill the machine's two cores better.
 */
export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.e2e.ts',
  globalSetup: './e2e/global-setup.ts',
  workers: 2,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  projects: [
    { name: 'scenarios', testIgnore: '**/99-working-tree.e2e.ts' },
    // Once every other file has ended, whichever worker ran it (not run when one failed).
    { name: 'working tree', testMatch: '**/99-working-tree.e2e.ts', dependencies: ['scenarios'] },
  ],
  outputDir: '../../test-results/web-e2e',
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
