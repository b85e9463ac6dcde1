/**
 * `npm install` warns `EBADENGINE` for every locked package whose `engines.node` excludes the
 * running Node. The project supports Node 20.19 and later, so every package the lockfile
 * installs must accept the oldest supported release of each line people run: a package that
 * moves to `node >= 22` is pinned back (root `overrides`) until the project drops Node 20.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as unknown;

interface Manifest {
  engines?: { node?: string };
  overrides?: Record<string, Record<string, string>>;
}
const manifest = read('package.json') as Manifest;
const lock = read('package-lock.json') as {
  packages: Record<string, Manifest & { version?: string }>;
};

/**
 * The oldest release of each Node line the README names, and the Node running the tests. Node
 * 22 starts at 22.13: Vite's bundler (rolldown) declares `^22.13.0` for its WebAssembly build.
 */
const SUPPORTED = ['20.19.0', '22.13.0', '24.0.0', process.versions.node];

describe('the Node versions the project supports', () => {
  it('starts at 20.19 in the root manifest', () => {
    expect(manifest.engines?.node).toBe('>=20.19.0');
  });

  it.each(SUPPORTED)('installs every locked package on Node %s without EBADENGINE', (node) => {
    const refused = Object.entries(lock.packages)
      .filter(([path, p]) => path.startsWith('node_modules/') && p.engines?.node !== undefined)
      .filter(([, p]) => !semver.satisfies(node, p.engines?.node ?? '*'))
      .map(([path, p]) => `${path}@${p.version} (node ${p.engines?.node})`);
    expect(refused).toEqual([]);
  });

  it('pins content-disposition and cookie to the majors that still accept Node 20', () => {
    // @fastify/static uses `create` and light-my-request `stringifySetCookie`: both exist,
    // unchanged, in the pinned majors (the next majors only moved to ESM and raised engines).
    expect(manifest.overrides).toMatchObject({
      '@fastify/static': { 'content-disposition': '^2.0.1' },
      'light-my-request': { cookie: '^1.1.1' },
    });
    const locked = (path: string) => lock.packages[`node_modules/${path}`]?.version ?? '';
    expect(semver.major(locked('@fastify/static/node_modules/content-disposition'))).toBe(2);
    expect(semver.major(locked('light-my-request/node_modules/cookie'))).toBe(1);
  });
});
