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
  // On CI one retry: a test that fails, then passes, does not fail the run but is named at the
  // end of `npm test` as passed on the retry (scripts/test-report.mjs), to be chased down. CI's
  // two cores run Vitest beside this, and a scenario that waits on the IdP, the API and the
  // browser at once can exceed its timeout there once in thousands of steps; a test that fails
  // twice fails the run. Locally a failure is final, so it is seen at once.
  retries: process.env.CI ? 1 : 0,
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
    // A trace records the page (screencast frames, DOM snapshots) all through a test: on CI's
    // two shared cores it cost 36 % of the end-to-end run's CPU (two files, one worker: 46.2 s
    // against 29.7 s without). On CI only a test's retry is traced, which is the run to read
    // once a test has failed; locally every failure keeps its trace.
    trace: process.env.CI ? 'on-first-retry' : 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
