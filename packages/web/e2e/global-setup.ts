import { browserRequired, CHROMIUM_PATH, hasChromium } from './support/chromium.js';
import { gitStatus } from './support/git-status.js';
import { buildIfStale } from './support/stack.js';

/**
 * Builds what the stacks serve, once for the run: each worker starts its own IdP, API and web
 * server (the `urls` fixture).
 */
export default async function globalSetup(): Promise<void> {
  if (!hasChromium) {
    if (browserRequired) {
      throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} is missing`);
    }
    return;
  }
  // Recorded before anything runs, so the last scenario can show the run changed no file.
  const status = gitStatus();
  if (status !== undefined) process.env.E2E_GIT_STATUS = status;
  buildIfStale();
}
