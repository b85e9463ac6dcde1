/**
 * No package's sources import each other in a circle, type-only imports included: a cycle makes
 * module load order matter (a value read before its module ran is `undefined`) and ties files
 * that should be understandable one at a time. Imports are read with a regular expression
 * (relative specifiers only; packages are separate by construction), which is enough for the
 * repository's ES module syntax.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeFiles, packageDirs, ROOT } from './source-files.js';

/** `import … from './x.js'`, `export … from './x.js'`, `import './x.js'`, `import('./x.js')`. */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The repository-relative file a relative specifier names, if it is a source file. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = posix.join(posix.dirname(from), specifier).replace(/\.(?:m?js|jsx)$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    const abs = join(ROOT, candidate);
    if (existsSync(abs) && statSync(abs).isFile()) return candidate;
  }
  return undefined;
}

/** File → the files it imports. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const targets = new Set<string>();
    for (const match of source.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier);
      if (target !== undefined) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) as number, index.get(target) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('import cycles', () => {
  it('finds a cycle, type-only imports included, and none in a chain', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
      ['e.ts', ['e.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
    const source = 'import type { A } from \'./a.js\';\nexport { b } from "../b/index.js";';
    expect([...source.matchAll(IMPORT)].map((m) => m[1])).toEqual(['./a.js', '../b/index.js']);
  });

  it('reads the imports of the real sources', () => {
    const graph = importGraph(codeFiles('packages/idp/src'));
    expect(graph.get('packages/idp/src/server.ts')).toContain('packages/idp/src/provider.ts');
    expect(graph.get('packages/idp/src/provider.ts')).toContain(
      'packages/idp/src/profiles/profile.ts',
    );
  });

  it.each(packageDirs())('finds none in %s/src', (pkg) => {
    const graph = importGraph(codeFiles(`${pkg}/src`).filter((f) => !f.endsWith('.d.ts')));
    expect(cycles(graph)).toEqual([]);
  });
});
