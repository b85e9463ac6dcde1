import { browserRequired, CHROMIUM_PATH, hasChromium } from './support/chromium.js';
import { gitStatus } from './support/git-status.js';
import { buildIfStale, startStack } from './support/stack.js';

/**
 * Starts the IdP, the API and the web server once for the run and hands their URLs to the
 * tests through the environment; the returned function stops them.
 */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (!hasChromium) {
    if (browserRequired) {
      throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} is missing`);
    }
    return undefined;
  }
  // Recorded before anything runs, so the last scenario can show the run changed no file.
  const status = gitStatus();
  if (status !== undefined) process.env.E2E_GIT_STATUS = status;
  buildIfStale();
  const stack = await startStack();
  process.env.E2E_WEB_URL = stack.webUrl;
  process.env.E2E_API_URL = stack.apiUrl;
  process.env.E2E_ISSUER = stack.issuer;
  return () => stack.close();
}
