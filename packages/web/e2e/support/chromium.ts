import { existsSync } from 'node:fs';

/** Debian's Chromium; browsers are never downloaded. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-gpu',
  '--no-first-run',
];

export const hasChromium = existsSync(CHROMIUM_PATH);

/** With REQUIRE_BROWSER=1 a missing Chromium is a failure, never a skip. */
export const browserRequired = process.env.REQUIRE_BROWSER === '1';
