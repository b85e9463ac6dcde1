/**
 * `npm install` on a machine with Node and nothing else: the lockfile must not need a compiler,
 * a download outside the npm registry or any install-time script. The embedded SQLite driver is
 * the dependency this is about: it must come prebuilt for the platforms people run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface LockedPackage {
  version?: string;
  hasInstallScript?: boolean;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};
const installed = Object.entries(lock.packages).filter(([path]) =>
  path.startsWith('node_modules/'),
);

describe('a fresh npm install', () => {
  it('runs no install script (no native compile, no download from outside the registry)', () => {
    expect(installed.length).toBeGreaterThan(100);
    const scripted = installed.filter(([, p]) => p.hasInstallScript).map(([path]) => path);
    expect(scripted).toEqual([]);
  });

  it('has the SQLite driver prebuilt for Linux (glibc and musl), macOS and Windows', () => {
    const driver = lock.packages['node_modules/libsql'];
    expect(driver?.hasInstallScript).toBeUndefined();
    const binaries = Object.keys(driver?.optionalDependencies ?? {});
    for (const target of [
      '@libsql/linux-x64-gnu',
      '@libsql/linux-x64-musl',
      '@libsql/linux-arm64-gnu',
      '@libsql/linux-arm64-musl',
      '@libsql/darwin-arm64',
      '@libsql/darwin-x64',
      '@libsql/win32-x64-msvc',
    ]) {
      expect(binaries).toContain(target);
      // Locked too, so `npm ci` on that platform installs it without resolving anything.
      expect(lock.packages[`node_modules/${target}`]?.version, target).toBe(driver?.version);
    }
  });
});

describe('a production install (npm ci --omit=dev)', () => {
  it('succeeds without the build tools: the root prepare step does not build there', () => {
    // The root's manifest and prepare script alone, with no node_modules: what `npm ci
    // --omit=dev` leaves for the prepare step to see (no TypeScript, no Vite).
    const dir = mkdtempSync(join(tmpdir(), 'todo-sso-prepare-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
      copyFileSync(join(root, 'scripts/prepare.mjs'), join(dir, 'scripts/prepare.mjs'));
      const result = spawnSync('npm', ['run', '--silent', 'prepare'], {
        cwd: dir,
        encoding: 'utf8',
        // Without the repository's node_modules/.bin, which npm and Vitest put on the path.
        env: {
          ...process.env,
          PATH: (process.env.PATH ?? '')
            .split(':')
            .filter((entry) => !entry.includes('node_modules'))
            .join(':'),
        },
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain('prepare: not building: typescript and vite not installed');
      // Nothing was built, so it says which packages still need their compiled output.
      expect(result.stderr).toContain('no compiled output yet for auth, idp, api, cli, web');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
