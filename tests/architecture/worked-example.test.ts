import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PERMISSIONS, protectedAuthOptions, requires } from '@todo-sso/api';
import { authPlugin } from '@todo-sso/auth/fastify';
import type { TestUser } from '@todo-sso/auth/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from '../reliability/support/api.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';

/**
 * Keeps the worked example of docs/architecture.md true: "a protected route with a new
 * permission touches the permission table, the route and the realm file, nothing else".
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const PERMISSION = 'reports:generate';
const ROUTE = '/reports/summary';
const TABLE = 'packages/api/src/authz/permissions.ts';
const ROUTE_FILE = 'packages/api/src/routes/reports.ts';
const REALM = 'deploy/keycloak/realm-todo-app.json';
const BLUEPRINT = 'deploy/authentik/todo-app.yaml';

/** Written by `npm run openapi -w @todo-sso/api` from the route declarations and the table. */
const GENERATED = [
  'packages/api/openapi.json',
  'packages/cli/src/api/schema.gen.ts',
  'packages/web/src/api/schema.gen.ts',
];

/** Places that use this permission without being needed to add it, and why they do. */
const USES: Readonly<Record<string, string>> = {
  'packages/web/src/App.tsx': 'the web app shows the Reports screen only to holders',
  'packages/web/src/me/permissions.ts': 'the web app lists the screens a person may open',
  'packages/web/src/reports/ReportsScreen.tsx': 'the Reports screen names what it needs',
  'packages/auth/src/testing/users.ts': "the testing kit's copy of the dev realm's carol",
  'scripts/start.mjs': '`npm start` prints the demo users and what they hold',
  [BLUEPRINT]: 'an Authentik deployment grants permissions as groups',
};

/** The sources a permission could be written in: code and configuration, not tests or docs. */
function sources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory())
        return ['node_modules', 'dist', 'test', 'e2e'].includes(e.name) ? [] : walk(path);
      return /\.(ts|tsx|mjs|js|json|ya?ml)$/.test(e.name) ? [path] : [];
    });
  const packages = readdirSync(join(root, 'packages')).flatMap((p) => [
    ...walk(`packages/${p}/src`),
    ...(p === 'api' ? ['packages/api/openapi.json'] : []),
  ]);
  return [...packages, ...walk('deploy'), ...walk('scripts')].sort();
}

/** The snippets of the worked example: a marker naming the file, then a fenced block. */
function snippets(): { file: string; lines: string[] }[] {
  const doc = read('docs/architecture.md');
  const marker = /<!-- worked-example: (\S+) -->\n(\s*)```\w*\n([\s\S]*?)\n\s*```/g;
  return [...doc.matchAll(marker)].map(([, file, indent, body]) => ({
    file: file as string,
    lines: (body as string).split('\n').map((l) => l.slice((indent as string).length)),
  }));
}

/** Whether `lines` occur as consecutive lines of `text`, indented alike (the doc dedents). */
function containsVerbatim(text: string, lines: readonly string[]): boolean {
  const all = text.split('\n');
  return all.some((first, i) => {
    if (!first.endsWith(lines[0] as string)) return false;
    const indent = first.slice(0, first.length - (lines[0] as string).length);
    if (indent.trim() !== '') return false;
    return lines.every((l, j) => all[i + j] === (l === '' ? '' : indent + l));
  });
}

describe('the worked example of docs/architecture.md', () => {
  it('shows the table entry, the route declaration and the realm entries, each verbatim', () => {
    const shown = snippets();
    expect(shown.map((s) => s.file)).toEqual([TABLE, ROUTE_FILE, REALM, REALM]);
    for (const { file, lines } of shown) {
      expect(containsVerbatim(read(file), lines), `${file}:\n${lines.join('\n')}`).toBe(true);
    }
    expect(shown[1]?.lines.join('\n')).toContain(`requires({ permission: '${PERMISSION}' })`);
    expect(PERMISSIONS.has(PERMISSION)).toBe(true);
  });

  it('writes the permission in the route and the realm file only, beside generated files', () => {
    const naming = sources().filter((f) => read(f).includes(PERMISSION));
    const expected = [ROUTE_FILE, REALM, ...GENERATED, ...Object.keys(USES)];
    expect(naming).toEqual(expected.sort());
    // The table holds it as its resource and action, the one place the API's vocabulary lives.
    expect(read(TABLE)).toContain(`${PERMISSION.split(':')[0]}: ['${PERMISSION.split(':')[1]}'],`);
  });

  it('has no hand-written list of every permission outside the realm files and generated files', () => {
    const lists = sources().filter((f) => {
      const text = read(f);
      return PERMISSIONS.all.every((p) => text.includes(p));
    });
    expect(lists).toEqual([REALM, BLUEPRINT, ...GENERATED].sort());
  });
});

describe(`${ROUTE} against a running API and a real issuer`, () => {
  let database: SuiteDatabase;
  let api: RunningApi;
  const person = (permissions: string[]): TestUser => ({
    sub: `worked-example-${randomUUID()}`,
    username: 'reporter',
    roles: ['user'],
    permissions,
    department: 'engineering',
  });

  beforeAll(async () => {
    database = sqliteDatabase();
    api = await startApiUnderTest({ database: database.env });
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  const get = async (permissions: string[]) =>
    fetch(`${api.url}${ROUTE}`, {
      headers: { authorization: `Bearer ${await api.token(person(permissions))}` },
    });

  it(`answers 403 insufficient_scope naming ${PERMISSION} to a token without it`, async () => {
    const res = await get(['todos:read', 'todos:write']);
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`scope="${PERMISSION}"`);
    expect(await res.json()).toMatchObject({ status: 403, missing: [PERMISSION] });
  });

  it('answers 200 with the report to a token holding it', async () => {
    const res = await get([PERMISSION]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ department: 'engineering' });
  });
});

describe('start-up checks with the API’s own plugin options', () => {
  let database: SuiteDatabase;
  let api: RunningApi;
  beforeAll(async () => {
    database = sqliteDatabase();
    api = await startApiUnderTest({ database: database.env, listen: false });
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  const start = async (declare: (app: import('fastify').FastifyInstance) => void) => {
    const app = Fastify();
    app.register(async (secured) => {
      await secured.register(authPlugin, protectedAuthOptions(api.context));
      declare(secured);
    });
    try {
      await app.ready();
    } finally {
      await app.close();
    }
  };

  it('refuses a protected route that declares no requirement, naming it', async () => {
    await expect(start((app) => app.get('/reports/export', async () => 'x'))).rejects.toThrow(
      'Route GET /reports/export declares no requirement',
    );
  });

  it('refuses a route naming a permission outside the table, naming it', async () => {
    const undeclared = { permission: 'reports:export' } as unknown as Parameters<
      typeof requires
    >[0];
    await expect(
      start((app) => app.get('/reports/export', { config: requires(undeclared) }, async () => 'x')),
    ).rejects.toThrow(
      'Route GET /reports/export: permission reports:export is not in the permission table',
    );
  });
});
