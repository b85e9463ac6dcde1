import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const SKIPPED = new Set(['node_modules', 'dist', 'coverage', 'results', '.vite']);
const CODE = /\.(?:ts|tsx|mts|cts|js|mjs|cjs)$/;

/** Code files below `dir` (repository-relative), build output and dependencies left out. */
export function codeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) walk(path);
      } else if (CODE.test(entry.name)) {
        out.push(relative(ROOT, path).split('\\').join('/'));
      }
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/** The workspace packages (`packages/<name>`). */
export function packageDirs(): string[] {
  return readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `packages/${entry.name}`);
}
