/**
 * A production install (`npm ci --omit=dev`, as the API image's `deps` stage does) has each
 * package's `dependencies` and nothing else: every module its compiled output imports, statically
 * or with `import()`, must be one of them (or a Node built-in, or a sibling workspace that is a
 * dependency). `scripts/production-check.mjs` starts the servers from such an install; this
 * reads every compiled file, so a path the servers do not take at start is covered too.
 * Needs `npm run build` (as `npm test` runs it first).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './docs/readme-tables.js';

/** The files each package runs in production: its compiled output and its entry scripts. */
const RUNTIME_FILES: Record<string, { dirs: string[]; files: string[] }> = {
  auth: { dirs: ['dist'], files: [] },
  api: { dirs: ['dist'], files: [] },
  idp: { dirs: ['dist'], files: [] },
  cli: { dirs: ['dist', 'bin'], files: [] },
  web: { dirs: [], files: ['serve.mjs', 'serve-cli.mjs'] },
};

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return /\.(m?js)$/.test(entry.name) ? [path] : [];
  });
}

/** The package a bare specifier names: `@scope/name` or `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

const builtins = new Set(builtinModules);

describe.each(Object.entries(RUNTIME_FILES))('the %s package in production', (name, runtime) => {
  const dir = join(ROOT, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
  const files = [
    ...runtime.dirs.flatMap((d) => walk(join(dir, d))),
    ...runtime.files.map((f) => join(dir, f)),
  ];

  it('imports only its dependencies and Node built-ins', () => {
    expect(files.length, `packages/${name} is not built: run npm run build`).toBeGreaterThan(0);
    const outside: string[] = [];
    for (const file of files) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName: specifier } of importedFiles) {
        if (specifier.startsWith('.') || specifier.startsWith('/')) continue;
        if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
        if (!dependencies.has(packageOf(specifier))) {
          outside.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
    }
    expect(outside).toEqual([]);
  });
});
