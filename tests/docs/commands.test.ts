/**
 * The commands and API routes the documents name, against the repository: every `npm run` names
 * a script of the workspace it names, every root script is in the README, and every route of the
 * API the documents name is an operation the API serves.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './readme-tables.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The documents held to the code here: every README and `docs/*.md`. */
const DOCUMENTS = [
  'README.md',
  'deploy/README.md',
  'bench/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(ROOT, 'packages'))
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => existsSync(join(ROOT, f))),
];

interface Manifest {
  name: string;
  scripts?: Record<string, string>;
  workspaces?: string[];
}
const root = JSON.parse(read('package.json')) as Manifest;
/** Each workspace's scripts, by package name (`@todo-sso/api`) and by folder (`packages/api`). */
const workspaces = new Map<string, Manifest>();
for (const folder of root.workspaces ?? []) {
  const manifest = JSON.parse(read(`${folder}/package.json`)) as Manifest;
  workspaces.set(manifest.name, manifest);
  workspaces.set(folder, manifest);
}

/** Every `npm run <script> [-w <workspace>]` of a text, a line break inside it allowed. */
function npmRuns(text: string): { script: string; workspace: string | undefined }[] {
  const runs = text.matchAll(
    /\bnpm\s+run\s+(?:--silent\s+)?([a-z][\w:.-]*)(?:\s+(?:-w|--workspace)[\s=]+([@\w/.-]+))?/g,
  );
  return [...runs].map((m) => ({ script: m[1] as string, workspace: m[2] }));
}

describe.each(DOCUMENTS)('%s, commands', (doc) => {
  it('runs only scripts that exist, in the workspace it names', () => {
    const missing: string[] = [];
    for (const { script, workspace } of npmRuns(read(doc))) {
      const manifest = workspace === undefined ? root : workspaces.get(workspace);
      if (manifest?.scripts?.[script] === undefined)
        missing.push(`npm run ${script}${workspace ? ` -w ${workspace}` : ''}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('the root scripts', () => {
  it('are each in the README (but `prepare`, which npm runs by itself after an install)', () => {
    const readme = read('README.md');
    const named = new Set(npmRuns(readme).map((r) => r.script));
    for (const m of readme.matchAll(/`npm (start|test)\b/g)) named.add(m[1] as string);
    const scripts = Object.keys(root.scripts ?? {}).filter((s) => s !== 'prepare');
    expect(scripts.filter((s) => !named.has(s))).toEqual([]);
  });
});

/** The operations of the committed OpenAPI document, as `METHOD /path` with `{}` parameters. */
function operations(): Set<string> {
  const doc = JSON.parse(read('packages/api/openapi.json')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const out = new Set<string>(['GET /openapi.json', 'GET /docs']);
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of Object.keys(item)) out.add(`${method.toUpperCase()} ${path}`);
  return new Set([...out].map(normalised));
}

/** A route with its parameters unnamed and no trailing slash: `GET /lists/{}/todos`. */
function normalised(route: string): string {
  return route.replace(/\{[^}]*\}|:\w+/g, '{}').replace(/(.)\/$/, '$1');
}

/**
 * Routes the documents name that are not the API's operations, each for a reason: the identity
 * provider's admin API (Keycloak's paths, which the API calls and the dev IdP emulates), and the
 * MCP transport's methods other than POST, which docs/mcp.md names to say they are 405.
 */
const NOT_THE_API = [/^\w+ \/admin\/realms\//, /^(GET|DELETE) \/mcp$/];

/** The routes a document names (`GET /lists/{id}`), normalised. */
function routesIn(doc: string): string[] {
  const found = read(doc).matchAll(/\b(GET|POST|PUT|PATCH|DELETE)\s+(\/[^\s`)|,;?]*)/g);
  return [...found].map((m) => normalised(`${m[1]} ${(m[2] as string).replace(/[.:]$/, '')}`));
}

describe.each(DOCUMENTS.filter((d) => d !== 'packages/idp/README.md'))('%s, routes', (doc) => {
  it('names only routes the API serves', () => {
    const served = operations();
    const unknown = routesIn(doc).filter(
      (route) => !served.has(route) && !NOT_THE_API.some((r) => r.test(route)),
    );
    expect(unknown).toEqual([]);
  });
});

it('the routes are read at all: the documents together name most of the API’s operations', () => {
  const named = new Set(DOCUMENTS.flatMap(routesIn));
  const served = [...operations()];
  expect(served.filter((o) => named.has(o)).length).toBeGreaterThan(served.length / 2);
});
