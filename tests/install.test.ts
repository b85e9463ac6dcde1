/**
 * `npm install` on a machine with Node and nothing else: the lockfile must not need a compiler,
 * a download outside the npm registry or any install-time script. The embedded SQLite driver is
 * the dependency this is about: it must come prebuilt for the platforms people run.
 */
import { readFileSync } from 'node:fs';
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
