/**
 * The documentation states the contract: every variable the code reads is documented, every
 * documented variable exists, the defaults written down are the ones the code applies, and every
 * file and link the documents name is there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type ApiConfig, loadConfig } from '@todo-sso/api';
import { describe, expect, it } from 'vitest';
// The schema's own list of names: the one place the API's variables are enumerated.
import { ENV_NAMES } from '../../packages/api/src/config/env-schema.js';
import { type ConfigRow, configTable, ROOT } from './readme-tables.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** What `loadConfig` reads, but for npm's own INIT_CWD (where `npm run` was typed). */
const API_VARIABLES = ENV_NAMES.filter((name) => name !== 'INIT_CWD').sort();

/** The configuration a variable's documented default must produce, as the README writes it. */
const APPLIED: Record<string, (c: ApiConfig) => string | undefined> = {
  HOST: (c) => c.host,
  PORT: (c) => String(c.port),
  OIDC_ISSUER: (c) => c.issuers[0]?.issuer,
  OIDC_AUDIENCE: (c) => c.issuers[0]?.audience.join(','),
  OIDC_PROVIDER: (c) => c.issuers[0]?.profile,
  OIDC_VERIFY: (c) => c.issuers[0]?.verify,
  OIDC_DPOP: (c) => c.issuers[0]?.dpop,
  OIDC_LOGOUT_AUDIENCE: (c) => c.logoutAudiences.join(','),
  FIRST_PARTY_CLIENTS: (c) => c.firstPartyClients.join(','),
  OIDC_DOCS_CLIENT_ID: (c) => c.docsClientId,
  API_ACCEPTS_MCP_TOKENS: (c) => String(c.apiAcceptsMcpTokens),
  CORS_ORIGINS: (c) => c.corsOrigins.join(','),
  TRUST_PROXY: (c) => String(c.trustProxy),
  LOG_LEVEL: (c) => c.logLevel,
  BODY_LIMIT_BYTES: (c) => String(c.bodyLimit),
  REQUEST_TIMEOUT_SECONDS: (c) => String(c.requestTimeoutSeconds),
  CONNECTION_TIMEOUT_SECONDS: (c) => String(c.connectionTimeoutSeconds),
  RATE_LIMIT_PER_MINUTE: (c) => String(c.rateLimitPerMinute),
  REVOCATION_TTL_SECONDS: (c) => String(c.revocationTtlSeconds),
  AUDIT_RETENTION_DAYS: (c) => String(c.auditRetentionDays),
  AUDIT_DENIALS_PER_MINUTE: (c) => String(c.auditDenialsPerMinute),
  MAX_LISTS_PER_PERSON: (c) => String(c.maxListsPerPerson),
  MAX_SHARED_LISTS_PER_PERSON: (c) => String(c.maxSharedListsPerPerson),
  AUTH_EXPLAIN: (c) => String(c.authExplain),
  OIDC_ACR_LEVELS: (c) => c.acrLevels.join(','),
  STEP_UP_ACR: (c) => c.stepUp.acr,
  STEP_UP_MAX_AGE_SECONDS: (c) => String(c.stepUp.maxAge),
};

/** The defaults of a row, one per name when the row lists as many (`8000`, `0.0.0.0`). */
function documentedDefaults(row: ConfigRow): Map<string, string> {
  const literals = [...row.defaultText.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  const out = new Map<string, string>();
  row.names.forEach((name, i) => {
    const literal = literals.length === row.names.length ? literals[i] : literals[0];
    if (literal !== undefined) out.set(name, literal);
  });
  return out;
}

describe.each([
  ['README.md', '## Configuration'],
  ['packages/api/README.md', '## Configuration'],
])('%s, configuration reference', (file, heading) => {
  const rows = configTable(file, heading);
  const documented = rows.flatMap((row) => row.names);

  it('documents every variable the API reads, and none it does not', () => {
    expect([...new Set(documented)].sort()).toEqual(API_VARIABLES);
    expect(documented.length, 'a variable documented twice').toBe(new Set(documented).size);
  });

  it('gives the defaults the API applies with an empty environment', () => {
    const config = loadConfig({});
    const checked: string[] = [];
    for (const row of rows) {
      for (const [name, literal] of documentedDefaults(row)) {
        const applied = APPLIED[name];
        if (applied === undefined) continue;
        expect(literal, name).toBe(applied(config));
        checked.push(name);
      }
    }
    // Every default the table above knows how to read was found in the document.
    expect(checked.sort()).toEqual(Object.keys(APPLIED).sort());
  });
});

/** `NAME` for every `env.NAME` (and `intFromEnv('NAME')`) in a source file. */
function variablesRead(file: string): string[] {
  const text = read(file);
  const names = new Set<string>();
  for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)|FromEnv\('([A-Z][A-Z0-9_]*)'\)/g))
    names.add((m[1] ?? m[2]) as string);
  names.delete('INIT_CWD');
  return [...names].sort();
}

/** Every `.ts` file below a folder, repository-relative. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

describe('the other processes’ variables', () => {
  const readme = read('README.md');
  const mentions = (text: string, name: string) =>
    text.includes(`\`${name}\``) || text.includes(`%${name}%`) || text.includes(`$${name}`);

  it.each([
    [
      'the dev IdP (npm run idp)',
      'packages/idp/src/cli.ts',
      ['README.md', 'packages/idp/README.md'],
    ],
    ['npm start', 'scripts/start.mjs', ['README.md']],
    ['the web server (npm start -w @todo-sso/web)', 'packages/web/serve-cli.mjs', ['README.md']],
  ])('%s: every variable it reads is in the docs', (_what, file, docs) => {
    for (const doc of docs) {
      const text = read(doc);
      for (const name of variablesRead(file))
        expect(mentions(text, name), `${doc}: ${name}`).toBe(true);
    }
  });

  it('the todo command: every variable it reads is in its README (the doctor’s are the API’s)', () => {
    const cliReadme = read('packages/cli/README.md');
    const names = new Set(sources('packages/cli/src').flatMap(variablesRead));
    for (const name of names) {
      if ((API_VARIABLES as string[]).includes(name) || name === 'HOME') continue;
      expect(mentions(cliReadme, name), name).toBe(true);
    }
    for (const name of [...names].filter((n) => n.startsWith('TODO_')))
      expect(mentions(readme, name), `README.md: ${name}`).toBe(true);
  });
});

/** The documents this suite holds to the repository. */
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

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = (m[1] as string)
      .toLowerCase()
      .replace(/`/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    out.add(slug);
  }
  return out;
}

/** Paths git ignores (build output, benchmark results written on demand). */
function ignored(path: string): boolean {
  return spawnSync('git', ['check-ignore', '-q', path], { cwd: ROOT }).status === 0;
}

describe.each(DOCUMENTS)('%s, references', (doc) => {
  const text = read(doc);
  const base = dirname(join(ROOT, doc));

  it('links only to files and headings that exist', () => {
    const dead: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(ROOT, doc) : resolve(base, path);
      if (!existsSync(file)) {
        dead.push(target);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor))
        dead.push(target);
    }
    expect(dead).toEqual([]);
  });

  it('names only files and folders that exist', () => {
    // A backticked repository path: segments with a slash, ending in a file extension or a slash.
    const pattern = /`((?:[\w.-]+\/)+(?:[\w-]+(?:\.[\w]+)+)?)`/g;
    const roots = [
      ROOT,
      base,
      join(ROOT, 'deploy'),
      join(ROOT, 'bench'),
      ...readdirSync(join(ROOT, 'packages')).flatMap((p) => [
        join(ROOT, 'packages', p),
        join(ROOT, 'packages', p, 'src'),
      ]),
    ];
    const missing: string[] = [];
    for (const m of text.matchAll(pattern)) {
      const path = m[1] as string;
      if (path.startsWith('.') && !path.startsWith('./') && !path.startsWith('../')) continue;
      const found = roots.some((r) => existsSync(join(r, path)));
      if (!found && !ignored(join(base, path))) missing.push(path);
    }
    expect(missing, relative(ROOT, join(ROOT, doc))).toEqual([]);
  });
});
