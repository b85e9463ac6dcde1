#!/usr/bin/env node
// Regenerates the README screenshots (docs/screenshots/*.png): the end-to-end run in Chromium
// with SCREENSHOTS=1, under which the scenarios save their screens. `npm test` never writes them.
// Extra arguments go to Playwright (e.g. a file filter: `npm run screenshots -- 2-roles`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = spawn(
  join(root, 'node_modules', '.bin', 'playwright'),
  ['test', '-c', join(root, 'packages/web/playwright.config.ts'), ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SCREENSHOTS: '1' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
