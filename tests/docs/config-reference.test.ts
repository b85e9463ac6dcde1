/**
 * The configuration of the processes other than the API (whose table `reference.test.ts` holds
 * to its schema), read from their code and compared with what their documents say, both ways:
 * every variable a process reads is in its documented list and every listed variable is read,
 * and a default the documents give is the one the code applies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../packages/api/src/config/env-schema.js';
import { main } from '../../packages/cli/src/main.js';
import { PROFILE_FILE, resolveSettings } from '../../packages/cli/src/settings.js';
import { configTable, ROOT } from './readme-tables.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const API_VARIABLES = new Set<string>(ENV_NAMES);

/**
 * The variables a source reads and the literal defaults it gives them: `env.X`,
 * `process.env.X`, `process.env['X']`, a local reader called with the name (`read('X')`,
 * `url('X', 'default')`, `intFromEnv('X', …)`), `?? 'default'` / `|| 'default'` after either,
 * a shell `${X:-default}` and a Dockerfile `ENV X=default`.
 */
function variablesIn(file: string): Map<string, Set<string>> {
  const text = read(file);
  const found = new Map<string, Set<string>>();
  const add = (name: string, value?: string) => {
    const values = found.get(name) ?? new Set<string>();
    if (value !== undefined) values.add(value);
    found.set(name, values);
  };
  const js =
    /\b(?:process\.)?env(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])(?:\?\.trim\(\))?(?:\s*(?:\?\?|\|\|)\s*'([^']*)')?|\b(?:read|url|required|[a-z]+FromEnv)\(\s*'([A-Z][A-Z0-9_]*)'(?:\s*,\s*'([^']*)')?[^)]*\)(?:\s*\?\?\s*'([^']*)')?/g;
  if (/\.(m?[jt]s)$/.test(file)) {
    for (const m of text.matchAll(js)) add((m[1] ?? m[2] ?? m[4]) as string, m[3] ?? m[5] ?? m[6]);
    // A name chosen between two (`read('WEB_PORT') !== undefined ? 'WEB_PORT' : 'PORT'`).
    for (const m of text.matchAll(/\?\s*'([A-Z][A-Z0-9_]*)'\s*:\s*'([A-Z][A-Z0-9_]*)'/g)) {
      add(m[1] as string);
      add(m[2] as string);
    }
  }
  if (file.endsWith('.sh'))
    for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}/g))
      add(m[1] as string, m[2] || undefined);
  if (file.endsWith('Dockerfile'))
    for (const block of text.matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm))
      for (const m of (block[1] as string).matchAll(/([A-Z][A-Z0-9_]*)=(\S+)/g))
        add(m[1] as string, m[2]);
  found.delete('INIT_CWD');
  return found;
}

/** The backticked variable names of a passage: from `start` up to the first `end` after it. */
function namesBetween(file: string, start: string, end: string): string[] {
  const text = read(file);
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`${file}: no "${start}"`);
  const to = text.indexOf(end, from + start.length);
  const passage = text.slice(from + start.length, to < 0 ? undefined : to);
  return [...new Set([...passage.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1] as string))];
}

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();

describe('the other processes’ variables, both ways', () => {
  const idp = variablesIn('packages/idp/src/cli.ts');
  const web = variablesIn('packages/web/serve-cli.mjs');
  const start = variablesIn('scripts/start.mjs');
  const image = new Map([
    ...variablesIn('deploy/docker/web-config.sh'),
    ...variablesIn('deploy/docker/web.Dockerfile'),
  ]);

  it('the code is read at all (the patterns above still find what each process reads)', () => {
    for (const [file, reads] of [
      ['idp', idp],
      ['web', web],
      ['start', start],
      ['image', image],
    ] as const)
      expect(reads.size, file).toBeGreaterThan(2);
  });

  it.each([
    ['packages/idp/README.md', 'Environment:', 'A value it cannot use'],
    ['README.md', 'The dev identity provider (`npm run idp`) reads', ';'],
  ])('the dev IdP: %s lists exactly what it reads', (file, from, to) => {
    expect(sorted(namesBetween(file, from, to))).toEqual(sorted(idp.keys()));
  });

  it.each([
    [
      'packages/web/README.md',
      '`npm start -w @todo-sso/web` serves `dist/` alone, configured by',
      'for a provider',
    ],
    ['README.md', 'The web app reads `/config.json`', '(a comma list'],
  ])(
    'the web server (npm start -w @todo-sso/web): %s lists exactly what it reads',
    (file, from, to) => {
      // The root README names the image's variables in the same passage; they are the server's too.
      expect(sorted(namesBetween(file, from, to))).toEqual(sorted(web.keys()));
    },
  );

  it('npm start: its own variables are listed, and it reads no other but the API’s', () => {
    const own = namesBetween('README.md', '`npm start`\nreads', ', and\npasses');
    for (const name of own) expect(start.has(name), `${name}: not read`).toBe(true);
    for (const name of start.keys())
      expect(own.includes(name) || API_VARIABLES.has(name), `${name}: not documented`).toBe(true);
  });

  it('the web image: deploy/README.md names every variable its start-up script reads', () => {
    const passage = namesBetween('deploy/README.md', '- **Web**:', '\n\n');
    expect(sorted(passage)).toEqual(sorted(image.keys()));
  });

  it('a default the README gives ("`X` (default `v`") is one the code applies', () => {
    const defaults = new Map<string, Set<string>>();
    for (const reads of [idp, web, start, image])
      for (const [name, values] of reads)
        defaults.set(name, new Set([...(defaults.get(name) ?? []), ...values]));
    const readme = read('README.md');
    const checked: string[] = [];
    for (const m of readme.matchAll(/`([A-Z][A-Z0-9_]*)` \(default `([^`]+)`/g)) {
      const [, name = '', value = ''] = m;
      if (API_VARIABLES.has(name) || name.startsWith('TODO_')) continue;
      expect([...(defaults.get(name) ?? [])], name).toContain(value);
      checked.push(name);
    }
    expect(checked).toContain('WEB_HOST');
  });
});

describe('the todo command’s variables against its table and the README', () => {
  const dir = mkdtempSync(join(tmpdir(), 'todo-config-reference-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rows = configTable('packages/cli/README.md', '## Configuration');
  const row = (name: string) => rows.find((r) => r.names.includes(name));
  const cliReads = new Set(
    [
      'packages/cli/src/settings.ts',
      'packages/cli/src/browser.ts',
      'packages/cli/src/commands/doctor.ts',
    ].flatMap((f) => [...variablesIn(f).keys()]),
  );
  /** Set by the system, not by a person configuring the command. */
  const SYSTEM = new Set(['HOME', 'APPDATA', 'XDG_CONFIG_HOME', 'DISPLAY', 'WAYLAND_DISPLAY']);
  /** What each variable sets, as `resolveSettings` answers it. */
  const FIELD = {
    TODO_ISSUER: 'issuer',
    TODO_API_URL: 'apiUrl',
    TODO_CLIENT_ID: 'clientId',
    TODO_SCOPE: 'scope',
    TODO_TOKEN_STORE: 'store',
  } as const;

  it('the table lists exactly the variables it reads (the doctor’s are the API’s)', () => {
    const own = [...cliReads].filter((n) => !SYSTEM.has(n) && !API_VARIABLES.has(n));
    expect(sorted(rows.flatMap((r) => r.names))).toEqual(sorted(own));
  });

  it('`todo --help` names every variable of the table that is the command’s own', async () => {
    const out: string[] = [];
    const code = await main(['--help'], {
      out: (text) => out.push(text),
      err: () => {},
      env: { TODO_CONFIG_DIR: join(dir, 'help') },
      fetch: async () => {
        throw new TypeError('the help reaches no network');
      },
      now: Date.now,
      sleep: async () => {},
      openBrowser: async () => false,
    });
    expect(code).toBe(0);
    const line =
      out
        .join('\n')
        .split('\n')
        .find((l) => l.startsWith('environment:')) ?? '';
    const named = [...line.matchAll(/\b(TODO_[A-Z0-9_]+)\b/g)].map((m) => m[1] as string);
    const own = rows.flatMap((r) => r.names).filter((n) => n.startsWith('TODO_'));
    expect(sorted(named)).toEqual(sorted(own));
  });

  it.each(Object.entries(FIELD))(
    '%s: its default, and whether the last login wins',
    (name, field) => {
      const empty = join(dir, `${name}-empty`);
      const fallback = String(resolveSettings({}, { TODO_CONFIG_DIR: empty })[field]);
      const saved = {
        issuer: 'https://sso.example/realms/x',
        apiUrl: 'https://api.example',
        clientId: 'saved-client',
      };
      const profileDir = mkdtempSync(join(dir, `${name}-saved-`));
      writeFileSync(join(profileDir, PROFILE_FILE), JSON.stringify(saved), { mode: 0o600 });
      const usesSaved =
        String(resolveSettings({}, { TODO_CONFIG_DIR: profileDir })[field]) !== fallback;
      const documented = row(name)?.defaultText ?? '';
      expect(documented, name).toContain(`\`${fallback}\``);
      expect(
        /last (`todo )?login/.test(documented),
        `${name}: "the last login's" in its default`,
      ).toBe(usesSaved);
      // The README's sentence on the command says the same.
      expect(namesBetween('README.md', 'The `todo` command reads', '\n\n')).toContain(name);
      const readme = read('README.md');
      const sentence = readme.slice(readme.indexOf('The `todo` command reads'));
      const said = new RegExp(`\`${name}\`\\s*\\(([^)]*)\\)`).exec(sentence)?.[1] ?? '';
      expect(said, name).toContain(`\`${fallback}\``);
      expect(/last\s+`todo login`/.test(said), `README.md: ${name}`).toBe(usesSaved);
    },
  );
});
