#!/usr/bin/env node
// npm's `prepare` step (after `npm install` / `npm ci` in the repository root): builds every
// package, as `npm run build` does, when the build tools are installed.
//
// A production install (`npm ci --omit=dev`) has no TypeScript and no Vite: it runs compiled
// output built elsewhere (the images' build stage, or a build in another checkout whose
// `packages/*/dist` is copied over). There the build is not attempted, so the install
// succeeds; the step says so, and names the packages that have no compiled output yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tools = ['typescript', 'vite'];

const missing = tools.filter(
  (name) => !existsSync(join(root, 'node_modules', name, 'package.json')),
);
if (missing.length === 0) {
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

/** What each package's start command runs: present once the package is built. */
const outputs = {
  auth: 'packages/auth/dist/index.js',
  idp: 'packages/idp/dist/cli.js',
  api: 'packages/api/dist/server.js',
  cli: 'packages/cli/dist/bin.js',
  web: 'packages/web/dist/index.html',
};
const unbuilt = Object.entries(outputs)
  .filter(([, file]) => !existsSync(join(root, file)))
  .map(([name]) => name);
process.stderr.write(
  `prepare: not building: ${missing.join(' and ')} not installed (development dependencies ` +
    'omitted, as by npm ci --omit=dev); the packages run the compiled output in packages/*/dist.\n',
);
if (unbuilt.length > 0) {
  process.stderr.write(
    `prepare: no compiled output yet for ${unbuilt.join(', ')}: build with the development ` +
      'dependencies (npm ci && npm run build) and copy packages/*/dist here before starting.\n',
  );
}
