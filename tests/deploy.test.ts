/**
 * Deployment artefacts under `deploy/` and the root `.dockerignore`: Compose files, the
 * Authentik blueprint, the Dockerfiles and the Kubernetes manifests.
 *
 * Every file is parsed and checked for the values the rest of the system relies on (ports,
 * issuers, client ids, probes, users and groups of the dev realm), cross-checked against the one
 * source of truth where there is one (the Keycloak realm file). Where the real tools are
 * installed they are run too: `docker-compose config` / `docker compose config`,
 * `kubectl kustomize`, and the web image's `/config.json` writer under `sh`.
 *
 * One file because the checks share their parsers and fixtures; sections are marked below.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@todo-sso/api';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const deploy = join(root, 'deploy');
const composeDir = join(deploy, 'compose');

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML/JSON is untyped; assertions check shapes.
type Any = any;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function readYaml(path: string): Any {
  return parse(readFileSync(path, 'utf8'), { merge: true });
}

/** Compose-style interpolation (`${X}`, `${X:-d}`, `${X-d}`, `${X:?msg}`) against `env`. */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const set = env[name];
      if (op === ':-') return set ? set : (arg ?? '');
      if (op === '-') return set !== undefined ? set : (arg ?? '');
      if (op === ':?' || op === '?') {
        if (!set) throw new Error(`required variable ${name}: ${arg}`);
        return set;
      }
      return set ?? '';
    },
  );
}

function service(file: Any, name: string): Any {
  const svc = file.services?.[name];
  expect(svc, `service ${name}`).toBeDefined();
  return svc;
}

/** A service's environment as a map of interpolated strings. */
function environment(svc: Any, env: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment ?? {})) out[k] = interpolate(String(v), env);
  return out;
}

/** Finds the first available Compose CLI: Debian's docker-compose v1, then the v2 plugin. */
function composeCli(): string[] | null {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const probe = spawnSync(bin, [...args, 'version'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return cmd;
  }
  return null;
}

/** The environment without any variable the Compose files interpolate. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(KEYCLOAK|AUTHENTIK|API|WEB|TODO|POSTGRES|KC)_/.test(key)) delete env[key];
  }
  return env;
}

const realm: Any = JSON.parse(readFileSync(join(deploy, 'keycloak/realm-todo-app.json'), 'utf8'));

/** Roles and permissions of a realm user, composites expanded (the Authentik profile). */
function expandedRoles(user: Any): string[] {
  const roles = new Set<string>();
  const realmRoles: Any[] = realm.roles?.realm ?? [];
  const visit = (name: string) => {
    if (roles.has(name)) return;
    roles.add(name);
    const role = realmRoles.find((r) => r.name === name);
    for (const sub of role?.composites?.realm ?? []) visit(sub);
    for (const perm of role?.composites?.client?.['todo-api'] ?? []) roles.add(perm);
  };
  for (const r of user.realmRoles ?? []) visit(r);
  for (const p of user.clientRoles?.['todo-api'] ?? []) roles.add(p);
  return [...roles].sort();
}

const DEMO_USERS = ['alice', 'bob', 'carol', 'admin', 'testuser'];
const DOCUMENTED_ENV = new Set([
  'OIDC_ISSUER',
  'OIDC_ISSUERS',
  'OIDC_AUDIENCE',
  'OIDC_PROVIDER',
  'OIDC_VERIFY',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_DISCOVERY_URL',
  'DATABASE_URL',
  'DATA_DIR',
  'CORS_ORIGINS',
  'PORT',
  'HOST',
  'TRUST_PROXY',
  'OIDC_ROLES_CLAIM',
  'OIDC_PERMISSIONS_CLAIM',
  'OIDC_ADMIN_ROLE',
  'OIDC_ATTRIBUTE_CLAIMS',
  'OIDC_ACR_LEVELS',
  'STEP_UP_ACR',
  'STEP_UP_MAX_AGE_SECONDS',
]);

// ---------------------------------------------------------------------------------------------
// Compose
// ---------------------------------------------------------------------------------------------

describe('compose files', () => {
  const files = readdirSync(composeDir).filter((f) => f.endsWith('.yml'));
  const keycloak = readYaml(join(composeDir, 'keycloak.yml'));
  const keycloakProd = readYaml(join(composeDir, 'keycloak.prod.yml'));
  const authentik = readYaml(join(composeDir, 'authentik.yml'));

  it('ships the Keycloak, Keycloak production and Authentik files', () => {
    expect(files.sort()).toEqual(['authentik.yml', 'keycloak.prod.yml', 'keycloak.yml']);
  });

  it.each([
    ['keycloak.yml', keycloak],
    ['authentik.yml', authentik],
  ])('%s gives every service a healthcheck and waits for healthy dependencies', (_f, file) => {
    for (const [name, svc] of Object.entries<Any>(file.services)) {
      expect(svc.healthcheck?.test?.length, `${name} healthcheck`).toBeGreaterThan(0);
      for (const [dep, spec] of Object.entries<Any>(svc.depends_on ?? {})) {
        expect(spec.condition, `${name} → ${dep}`).toBe('service_healthy');
        expect(file.services[dep]?.healthcheck, `${dep} healthcheck`).toBeDefined();
      }
    }
  });

  it.each([
    ['keycloak.yml', keycloak],
    ['authentik.yml', authentik],
  ])('%s builds the API and web images from the repository root', (_f, file) => {
    for (const [name, dockerfile] of [
      ['api', 'deploy/docker/api.Dockerfile'],
      ['web', 'deploy/docker/web.Dockerfile'],
    ] as const) {
      const build = service(file, name).build;
      expect(resolve(composeDir, build.context)).toBe(root);
      expect(build.dockerfile).toBe(dockerfile);
      expect(existsSync(join(root, build.dockerfile))).toBe(true);
    }
    expect(service(file, 'api').ports).toEqual(['8000:8000']);
    expect(service(file, 'web').ports).toEqual(['3000:8080']);
  });

  it('mounts the repository realm file into Keycloak’s import folder and imports it', () => {
    const kc = service(keycloak, 'keycloak');
    expect(kc.image).toMatch(/^quay\.io\/keycloak\/keycloak:\$\{KEYCLOAK_VERSION:-26\.\d+\}$/);
    expect(kc.command).toEqual(['start-dev', '--import-realm']);
    expect(kc.ports).toEqual(['8080:8080']);
    const mount = (kc.volumes as string[]).find((v) => v.includes('/opt/keycloak/data/import/'));
    const [host, target, mode] = (mount ?? '').split(':');
    expect(resolve(composeDir, host ?? '')).toBe(join(deploy, 'keycloak/realm-todo-app.json'));
    expect(existsSync(resolve(composeDir, host ?? ''))).toBe(true);
    expect(target).toBe('/opt/keycloak/data/import/realm-todo-app.json');
    expect(mode).toBe('ro');
  });

  it('imports todo-ui with DPoP-bound tokens required, on a Keycloak that supports DPoP (26.4+)', () => {
    const kc = service(keycloak, 'keycloak');
    const minor = Number(/:-26\.(\d+)\}$/.exec(kc.image as string)?.[1]);
    expect(minor).toBeGreaterThanOrEqual(4);
    const ui = (realm.clients as Any[]).find((c) => c.clientId === 'todo-ui');
    expect(ui.attributes['dpop.bound.access.tokens']).toBe('true');
  });

  it('points the API at Keycloak with issuer aliasing: public issuer, internal discovery', () => {
    const env = environment(service(keycloak, 'api'));
    expect(env.OIDC_ISSUER).toBe(`http://localhost:8080/realms/${realm.realm}`);
    expect(env.OIDC_DISCOVERY_URL).toBe(`http://keycloak:8080/realms/${realm.realm}`);
    expect(new URL(env.OIDC_DISCOVERY_URL ?? '').hostname).toBe('keycloak');
    expect(env.OIDC_PROVIDER).toBe('keycloak');
    expect(env.OIDC_AUDIENCE).toBe('todo-api');
    const apiClient = realm.clients.find((c: Any) => c.clientId === env.OIDC_CLIENT_ID);
    expect(apiClient?.secret).toBe(env.OIDC_CLIENT_SECRET);
    const db = new URL(env.DATABASE_URL ?? '');
    expect(db.protocol).toBe('postgres:');
    expect(Object.keys(keycloak.services)).toContain(db.hostname);
    expect(service(keycloak, 'api').depends_on).toMatchObject({
      keycloak: { condition: 'service_healthy' },
      [db.hostname]: { condition: 'service_healthy' },
    });
    // Keycloak itself issues the public URL and resolves back-channel URLs per request.
    const kcEnv = environment(service(keycloak, 'keycloak'));
    expect(kcEnv.KC_HOSTNAME).toBe('http://localhost:8080');
    expect(kcEnv.KC_HOSTNAME_BACKCHANNEL_DYNAMIC).toBe('true');
  });

  it('serves the web app with the realm’s public PKCE client and the API URL', () => {
    const env = environment(service(keycloak, 'web'));
    expect(env).toEqual({
      OIDC_ISSUER: 'http://localhost:8080/realms/todo-app',
      OIDC_CLIENT_ID: 'todo-ui',
      API_URL: 'http://localhost:8000',
    });
    const client = realm.clients.find((c: Any) => c.clientId === env.OIDC_CLIENT_ID);
    expect(client.publicClient).toBe(true);
    expect(client.attributes['pkce.code.challenge.method']).toBe('S256');
    expect(client.redirectUris).toContain('http://localhost:3000/*');
  });

  it('uses only configuration variables the API defines', () => {
    for (const file of [keycloak, authentik]) {
      for (const name of Object.keys(service(file, 'api').environment)) {
        expect(DOCUMENTED_ENV.has(name), name).toBe(true);
      }
    }
  });

  it('runs production Keycloak on its own PostgreSQL with every secret required', () => {
    const kc = service(keycloakProd, 'keycloak');
    expect(kc.command).toEqual(['start', '--import-realm']);
    const env = kc.environment;
    expect(env.KC_DB).toBe('postgres');
    const jdbc = new URL(String(env.KC_DB_URL).replace(/^jdbc:/, ''));
    expect(jdbc.hostname).toBe('keycloak-db');
    expect(service(keycloakProd, 'keycloak-db').healthcheck.test).toContain(
      'pg_isready -U keycloak -d keycloak',
    );
    expect(kc.depends_on['keycloak-db'].condition).toBe('service_healthy');
    // No development default may survive into production for a secret.
    const text = readFileSync(join(composeDir, 'keycloak.prod.yml'), 'utf8');
    const secrets = [...text.matchAll(/\$\{([A-Z_]*(?:PASSWORD|SECRET)[A-Z_]*)([^}]*)\}/g)];
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const [whole, , op] of secrets) expect(op?.startsWith(':?'), whole).toBe(true);
    expect(() => environment(kc)).toThrow(/required variable KEYCLOAK_ADMIN_PASSWORD/);
  });

  it('runs Authentik 2025.x as server and worker on PostgreSQL, without Redis', () => {
    const server = service(authentik, 'authentik');
    const worker = service(authentik, 'authentik-worker');
    for (const svc of [server, worker]) {
      expect(svc.image).toMatch(/^ghcr\.io\/goauthentik\/server:\$\{AUTHENTIK_VERSION:-2025\.1\d/);
      expect(svc.healthcheck.test).toEqual(['CMD', '/lifecycle/ak', 'healthcheck']);
      const env = environment(svc);
      expect(env.AUTHENTIK_POSTGRESQL__HOST).toBe('authentik-db');
      expect(env.AUTHENTIK_SECRET_KEY?.length).toBeGreaterThanOrEqual(50);
      expect(Object.keys(env).some((k) => k.startsWith('AUTHENTIK_REDIS'))).toBe(false);
      const mount = (svc.volumes as string[]).find((v) => v.startsWith('../authentik:'));
      expect(mount).toBe('../authentik:/blueprints/todo-sso:ro');
    }
    expect([server.command, worker.command]).toEqual(['server', 'worker']);
    expect(server.ports).toEqual(['9000:9000']);
    expect(Object.keys(authentik.services)).not.toContain('redis');
    expect(existsSync(join(deploy, 'authentik/todo-app.yaml'))).toBe(true);
  });

  it('points the API at Authentik’s per-provider issuer with the client ids as audiences', () => {
    const env = environment(service(authentik, 'api'));
    expect(env.OIDC_PROVIDER).toBe('authentik');
    expect(env.OIDC_ISSUER).toBe('http://localhost:9000/application/o/todo-app/');
    expect(env.OIDC_DISCOVERY_URL).toBe('http://authentik:9000/application/o/todo-app/');
    expect(env.OIDC_AUDIENCE?.split(',')).toEqual(['todo-ui', 'todo-cli']);
    expect(Object.keys(authentik.services)).toContain(new URL(env.DATABASE_URL ?? '').hostname);
    expect(environment(service(authentik, 'web')).OIDC_ISSUER).toBe(env.OIDC_ISSUER);
  });

  describe('validated by the Compose CLI', () => {
    const cli = composeCli();
    const run = (args: string[], envFile: string) => {
      const [bin, ...pre] = cli as [string, ...string[]];
      return spawnSync(bin, [...pre, '--env-file', envFile, ...args, 'config', '-q'], {
        cwd: composeDir,
        env: cleanEnv(),
        encoding: 'utf8',
        timeout: 60_000,
      });
    };
    const scratch = mkdtempSync(join(tmpdir(), 'todo-sso-compose-'));
    const emptyEnv = join(scratch, 'empty.env');
    writeFileSync(emptyEnv, '');

    it.skipIf(!cli).each([['keycloak.yml'], ['authentik.yml']])(
      '%s is valid with its development defaults',
      (file) => {
        const result = run(['-f', file], emptyEnv);
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
      },
    );

    it.skipIf(!cli)('the production override refuses to render without its secrets', () => {
      const result = run(['-f', 'keycloak.yml', '-f', 'keycloak.prod.yml'], emptyEnv);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/KEYCLOAK_(ADMIN_PASSWORD|PUBLIC_URL|DB_PASSWORD)/);
    });

    it.skipIf(!cli)('the production override is valid with every variable of .env.example', () => {
      const result = run(['-f', 'keycloak.yml', '-f', 'keycloak.prod.yml'], '.env.example');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      rmSync(scratch, { recursive: true, force: true });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Authentik blueprint
// ---------------------------------------------------------------------------------------------

describe('Authentik blueprint', () => {
  const tag = (name: string, collection?: 'seq' | 'map') => ({
    tag: name,
    ...(collection && { collection }),
    resolve: (v: Any) => ({ $tag: name, value: collection ? v.toJSON() : v }),
  });
  const tags = ['!KeyOf', '!Context', '!Env', '!Find', '!Format', '!If', '!Condition'].flatMap(
    (n) => [tag(n), tag(n, 'seq'), tag(n, 'map')],
  );
  const blueprint: Any = parse(readFileSync(join(deploy, 'authentik/todo-app.yaml'), 'utf8'), {
    customTags: tags as Any,
  });
  const entries: Any[] = blueprint.entries;
  const byModel = (model: string) => entries.filter((e) => e.model === model);
  const byId = new Map(entries.filter((e) => e.id).map((e) => [e.id, e]));
  const keyOf = (ref: Any) => {
    expect(ref?.$tag).toBe('!KeyOf');
    return byId.get(ref.value);
  };

  it('is a version 1 blueprint of known Authentik models', () => {
    expect(blueprint.version).toBe(1);
    const models = new Set(entries.map((e) => e.model));
    expect([...models].sort()).toEqual([
      'authentik_core.application',
      'authentik_core.group',
      'authentik_core.user',
      'authentik_policies.policybinding',
      'authentik_providers_oauth2.oauth2provider',
      'authentik_providers_oauth2.scopemapping',
    ]);
  });

  it('refers with !KeyOf only to entries defined before the reference', () => {
    const seen = new Set<string>();
    let refs = 0;
    const walk = (node: Any) => {
      if (node?.$tag === '!KeyOf') {
        refs++;
        expect(seen.has(node.value), `!KeyOf ${node.value}`).toBe(true);
      } else if (node && typeof node === 'object') {
        for (const v of Object.values(node)) walk(v);
      }
    };
    for (const entry of entries) {
      walk(entry);
      if (entry.id) seen.add(entry.id);
    }
    expect(refs).toBeGreaterThan(20);
  });

  it('creates the role and permission groups of the dev realm', () => {
    const names = byModel('authentik_core.group').map((g) => g.identifiers.name);
    expect(names.sort()).toEqual(
      [
        'admin',
        'authz:evaluate',
        'reports:generate',
        'todos:read',
        'todos:write',
        'user',
        'users:manage',
      ].sort(),
    );
    for (const g of byModel('authentik_core.group')) expect(g.attrs.is_superuser).toBe(false);
  });

  it('creates the demo users with the realm’s roles expanded into groups', () => {
    const users = byModel('authentik_core.user');
    expect(users.map((u) => u.identifiers.username)).toEqual(DEMO_USERS);
    for (const user of users) {
      const username = user.identifiers.username;
      const fromRealm = realm.users.find((u: Any) => u.username === username);
      const groups = user.attrs.groups.map((ref: Any) => keyOf(ref).identifiers.name).sort();
      expect(groups, username).toEqual(expandedRoles(fromRealm));
      expect(user.attrs.password).toBe(username);
      expect(user.attrs.email).toBe(fromRealm.email);
      expect(user.attrs.attributes.department).toBe(fromRealm.attributes?.department?.[0]);
      expect(user.conditions).toEqual([{ $tag: '!Context', value: 'demo_users' }]);
    }
    const alice = users.find((u) => u.identifiers.username === 'alice');
    expect(alice.attrs.groups.map((r: Any) => keyOf(r).identifiers.name).sort()).toEqual([
      'todos:read',
      'todos:write',
      'user',
    ]);
  });

  it('maps groups into a flat `groups` claim and the department attribute', () => {
    const [mapping] = byModel('authentik_providers_oauth2.scopemapping');
    expect(mapping.attrs.scope_name).toBe('profile');
    expect(mapping.attrs.expression).toMatch(/"groups":\s*sorted\(group\.name for group in/);
    expect(mapping.attrs.expression).toContain('attributes.get("department")');
  });

  it('defines the todo-app provider: public todo-ui client, per-provider issuer, RS256', () => {
    const providers = byModel('authentik_providers_oauth2.oauth2provider');
    const app = byModel('authentik_core.application').find(
      (a) => a.identifiers.slug === 'todo-app',
    );
    const provider = keyOf(app.attrs.provider);
    expect(providers).toContain(provider);
    expect(provider.attrs).toMatchObject({
      client_id: 'todo-ui',
      client_type: 'public',
      issuer_mode: 'per_provider',
      access_token_validity: `minutes=${realm.accessTokenLifespan / 60}`,
      logout_method: 'backchannel',
    });
    // Without a signing key Authentik signs with HS256 and the client secret.
    expect(provider.attrs.signing_key.$tag).toBe('!Find');
    expect(provider.attrs.signing_key.value[0]).toBe('authentik_crypto.certificatekeypair');
    const mappings = provider.attrs.property_mappings;
    expect(mappings).toContainEqual({ $tag: '!KeyOf', value: 'scope-todo-profile' });
    expect(JSON.stringify(mappings)).toContain('scope-openid');
    expect(provider.attrs.redirect_uris).toEqual([
      { matching_mode: 'regex', url: { $tag: '!Context', value: 'web_redirect_regex' } },
    ]);
    const regex = new RegExp(blueprint.context.web_redirect_regex.value[1]);
    expect(regex.test('http://localhost:3000/callback')).toBe(true);
    expect(regex.test('http://localhost:3001/callback')).toBe(false);
    expect(regex.test('http://evil.example/?http://localhost:3000/')).toBe(false);
  });

  it('defines the public todo-cli client with loopback redirects only', () => {
    const app = byModel('authentik_core.application').find(
      (a) => a.identifiers.slug === 'todo-cli',
    );
    const provider = keyOf(app.attrs.provider);
    expect(provider.attrs.client_id).toBe('todo-cli');
    expect(provider.attrs.client_type).toBe('public');
    const regex = new RegExp(provider.attrs.redirect_uris[0].url);
    expect(regex.test('http://127.0.0.1:53682/callback')).toBe(true);
    expect(regex.test('http://localhost/cb')).toBe(true);
    expect(regex.test('http://127.0.0.1.evil.example/cb')).toBe(false);
    expect(regex.test('https://evil.example/cb')).toBe(false);
  });

  it('lets only members of user or admin use the applications', () => {
    const bindings = byModel('authentik_policies.policybinding').map(
      (b) =>
        `${keyOf(b.identifiers.target).identifiers.slug}:${keyOf(b.identifiers.group).identifiers.name}`,
    );
    expect(bindings.sort()).toEqual([
      'todo-app:admin',
      'todo-app:user',
      'todo-cli:admin',
      'todo-cli:user',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------------------------

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

/** Splits a Dockerfile into stages of logical lines (continuations joined, comments dropped). */
function stages(path: string): Stage[] {
  const logical = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of logical) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1] ?? '', lines: [], ...(from[2] && { name: from[2] }) });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** Repository paths a Dockerfile copies from the build context. */
function contextSources(all: Stage[]): string[] {
  return all.flatMap((s) =>
    s.lines
      .filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))
      .flatMap((l) => {
        const parts = l.split(/\s+/).filter((p) => !p.startsWith('--'));
        return parts.slice(1, -1);
      }),
  );
}

describe('Dockerfiles', () => {
  const api = stages(join(deploy, 'docker/api.Dockerfile'));
  const web = stages(join(deploy, 'docker/web.Dockerfile'));
  const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it.each([
    ['api', api],
    ['web', web],
  ])('the %s image is multi-stage and runs as a non-root user', (_name, all) => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const final = all.at(-1) as Stage;
    const users = final.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBe(1);
    expect(['root', '0', '0:0']).not.toContain(users[0]);
    expect(final.lines.some((l) => /^HEALTHCHECK\s.*\/healthz/.test(l))).toBe(true);
  });

  it('builds the API with npm ci, tsc -b and production-only dependencies', () => {
    const all = api.flatMap((s) => s.lines);
    expect(all.some((l) => /npm ci .*--workspace @todo-sso\/api/.test(l))).toBe(true);
    expect(all).toContain('RUN npx tsc -b packages/api');
    expect(all.some((l) => /npm ci .*--omit=dev/.test(l))).toBe(true);
    const final = api.at(-1) as Stage;
    expect(final.lines).toContain('USER node');
    expect(final.lines).toContain('CMD ["node", "packages/api/dist/server.js"]');
    // The final image takes compiled output and dependencies only, never sources.
    const copies = final.lines.filter((l) => l.startsWith('COPY'));
    expect(copies.every((l) => l.includes('--from='))).toBe(true);
    expect(copies.some((l) => l.includes('src'))).toBe(false);
  });

  it('serves the web build from nginx-unprivileged with the run-time config script', () => {
    const final = web.at(-1) as Stage;
    expect(final.from).toBe(`\${NGINX_IMAGE}`);
    const arg = readFileSync(join(deploy, 'docker/web.Dockerfile'), 'utf8').match(
      /ARG NGINX_IMAGE=(\S+)/,
    );
    expect(arg?.[1]).toMatch(/^nginxinc\/nginx-unprivileged:/);
    expect(final.lines).toContain('COPY --from=build /app/packages/web/dist /usr/share/nginx/html');
    expect(final.lines).toContain(
      'COPY --chmod=0755 deploy/docker/web-config.sh /docker-entrypoint.d/40-todo-sso-config.sh',
    );
    expect(final.lines).toContain('EXPOSE 8080');
  });

  it.each([
    ['api', api],
    ['web', web],
  ])('the %s image copies only files that exist and that .dockerignore lets through', (_n, all) => {
    const sources = contextSources(all);
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      for (const pattern of dockerignore.filter((p) => !p.startsWith('!'))) {
        const bare = pattern.replace(/^\*\*\//, '');
        expect(source === bare || source.startsWith(`${bare}/`), `${source} vs ${pattern}`).toBe(
          false,
        );
      }
    }
  });

  it('keeps dependencies, build output, local data and git out of the build context', () => {
    for (const p of ['.git', '**/node_modules', '**/dist', '.data', '**/.env']) {
      expect(dockerignore).toContain(p);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The web image's /config.json
// ---------------------------------------------------------------------------------------------

describe('web run-time configuration', () => {
  const script = join(deploy, 'docker/web-config.sh');
  const nginx = readFileSync(join(deploy, 'docker/web-nginx.conf'), 'utf8');
  const hasSh = spawnSync('sh', ['-c', 'exit 0']).status === 0;

  const write = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'todo-sso-web-'));
    const result = spawnSync('sh', [script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TODO_SSO_CONFIG_DIR: dir, ...env },
      encoding: 'utf8',
      timeout: 10_000,
    });
    const file = join(dir, 'config.json');
    const json = existsSync(file) ? readFileSync(file, 'utf8') : null;
    rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stderr: result.stderr, json };
  };
  const valid = {
    OIDC_ISSUER: 'http://localhost:9000/application/o/todo-app/',
    OIDC_CLIENT_ID: 'todo-ui',
    API_URL: 'https://api.todo.example.com',
  };

  it('nginx serves /config.json from the folder the script writes and listens on 8080', () => {
    expect(nginx).toMatch(/location = \/config\.json \{\s*alias \/tmp\/todo-sso\/config\.json;/);
    expect(readFileSync(script, 'utf8')).toContain(
      `out_dir=\${TODO_SSO_CONFIG_DIR:-/tmp/todo-sso}`,
    );
    expect(nginx).toMatch(/listen 8080;/);
    expect(nginx).toMatch(/try_files \$uri \$uri\/ \/index\.html;/);
  });

  it.skipIf(!hasSh)('writes issuer, clientId and apiUrl from the environment as JSON', () => {
    const { status, json } = write(valid);
    expect(status).toBe(0);
    expect(JSON.parse(json ?? 'null')).toEqual({
      issuer: 'http://localhost:9000/application/o/todo-app/',
      clientId: 'todo-ui',
      apiUrl: 'https://api.todo.example.com',
    });
  });

  it.skipIf(!hasSh).each([
    ['a quote that would break out of the JSON string', { OIDC_ISSUER: 'http://x","apiUrl":"y' }],
    ['a backslash', { OIDC_CLIENT_ID: 'todo\\ui' }],
    ['a non-http issuer', { OIDC_ISSUER: 'javascript:alert(1)' }],
    ['an empty client id', { OIDC_CLIENT_ID: '' }],
    ['a newline', { API_URL: 'http://a\nb' }],
  ])('refuses to start on %s and writes nothing', (_what, override) => {
    const { status, stderr, json } = write({ ...valid, ...override });
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/^todo-sso web: (OIDC_ISSUER|OIDC_CLIENT_ID|API_URL) /);
    expect(json).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

describe('Kubernetes manifests', () => {
  const k8sDir = join(deploy, 'k8s');
  const kustomization = readYaml(join(k8sDir, 'kustomization.yaml'));
  const docs: Any[] = (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((d) => d.toJS()),
  );
  const find = (kind: string, name: string) => {
    const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
    expect(doc, `${kind}/${name}`).toBeDefined();
    return doc;
  };
  const apiDeployment = find('Deployment', 'todo-api');
  const apiContainer = apiDeployment.spec.template.spec.containers[0];
  const podLabels = apiDeployment.spec.template.metadata.labels;
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('lists every manifest in kustomization.yaml', () => {
    const files = readdirSync(k8sDir).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('todo-sso');
    expect(find('Namespace', 'todo-sso')).toBeDefined();
  });

  it('runs at least two API replicas spread over nodes', () => {
    expect(apiDeployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(apiDeployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const spread = apiDeployment.spec.template.spec.topologySpreadConstraints;
    expect(spread.map((s: Any) => s.topologyKey)).toContain('kubernetes.io/hostname');
    for (const s of spread) expect(matches(s.labelSelector.matchLabels, podLabels)).toBe(true);
  });

  it('probes readiness on /readyz and liveness on /healthz at the API port', () => {
    const port = apiContainer.ports.find((p: Any) => p.name === 'http');
    expect(port.containerPort).toBe(8000);
    expect(apiContainer.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(apiContainer.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(find('ConfigMap', 'todo-api-config').data.PORT).toBe(String(port.containerPort));
  });

  it('sets requests and limits and a non-root, read-only security context', () => {
    expect(apiContainer.resources.requests).toMatchObject({ cpu: expect.any(String) });
    expect(apiContainer.resources.requests.memory).toBeDefined();
    expect(apiContainer.resources.limits.memory).toBeDefined();
    for (const deployment of [apiDeployment, find('Deployment', 'todo-web')]) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.volumeMounts.map((m: Any) => m.mountPath)).toContain('/tmp');
      }
    }
  });

  it('targets the API Deployment with the PodDisruptionBudget and the autoscaler', () => {
    const pdb = find('PodDisruptionBudget', 'todo-api');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(apiDeployment.spec.replicas);
    const hpa = find('HorizontalPodAutoscaler', 'todo-api');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'todo-api',
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
  });

  it('references only ConfigMap and Secret keys that exist', () => {
    let refs = 0;
    for (const deployment of docs.filter((d) => d.kind === 'Deployment')) {
      for (const c of deployment.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
          const kind = e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
          if (!ref || ref.optional) continue;
          const source = find(kind, ref.name);
          const keys = { ...source.data, ...source.stringData };
          expect(Object.keys(keys), `${kind}/${ref.name}.${ref.key}`).toContain(ref.key);
          refs++;
        }
      }
    }
    expect(refs).toBeGreaterThanOrEqual(15);
  });

  it('gives the API only documented variables, secrets from the Secret, placeholders only', () => {
    const env: Any[] = apiContainer.env;
    for (const e of env) expect(DOCUMENTED_ENV.has(e.name), e.name).toBe(true);
    for (const name of ['DATABASE_URL', 'OIDC_CLIENT_SECRET']) {
      expect(env.find((e) => e.name === name).valueFrom.secretKeyRef.name).toBe('todo-api-secrets');
    }
    const secret = find('Secret', 'todo-api-secrets');
    for (const value of Object.values<string>(secret.stringData))
      expect(value).toContain('CHANGE_ME');
    const config = find('ConfigMap', 'todo-api-config').data;
    expect(config.OIDC_ISSUER).toMatch(/^https:\/\/.+\/realms\/todo-app$/);
    expect(config.OIDC_AUDIENCE).toBe('todo-api');
  });

  it('routes the Ingress to Services that select the Deployments’ pods over TLS', () => {
    const ingress = find('Ingress', 'todo-sso');
    expect(ingress.spec.tls[0].hosts.sort()).toEqual(
      ingress.spec.rules.map((r: Any) => r.host).sort(),
    );
    const backends = ingress.spec.rules.flatMap((r: Any) =>
      r.http.paths.map((p: Any) => p.backend.service),
    );
    expect(backends.map((b: Any) => b.name).sort()).toEqual(['todo-api', 'todo-web']);
    for (const backend of backends) {
      const svc = find('Service', backend.name);
      const port = svc.spec.ports.find((p: Any) => p.name === backend.port.name);
      const deployment = docs.find(
        (d) =>
          d.kind === 'Deployment' && matches(svc.spec.selector, d.spec.template.metadata.labels),
      );
      expect(deployment, `Deployment behind ${backend.name}`).toBeDefined();
      const container = deployment.spec.template.spec.containers[0];
      expect(container.ports.map((p: Any) => p.name)).toContain(port.targetPort);
    }
  });

  it('gives the API an environment its configuration loader accepts', () => {
    const env: Record<string, string> = {};
    for (const e of apiContainer.env) {
      const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
      const source = find(e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name);
      env[e.name] = { ...source.data, ...source.stringData }[ref.key];
    }
    const config = loadConfig(env);
    expect(config.issuers[0]).toMatchObject({
      issuer: 'https://sso.example.com/realms/todo-app',
      discoveryUrl: 'http://keycloak.keycloak.svc.cluster.local:8080/realms/todo-app',
      audience: ['todo-api'],
      profile: 'keycloak',
      verify: 'jwt',
    });
    expect(config.database.kind).toBe('postgres');
    expect(config.trustProxy).toBe(1);
    expect(config.corsOrigins).toEqual(['https://todo.example.com']);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('renders with kubectl kustomize into the todo-sso namespace', () => {
    const result = spawnSync('kubectl', ['kustomize', k8sDir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS());
    expect(rendered.map((d) => d.kind).sort()).toEqual(docs.map((d) => d.kind).sort());
    for (const d of rendered.filter((d) => d.kind !== 'Namespace')) {
      expect(d.metadata.namespace, `${d.kind}/${d.metadata.name}`).toBe('todo-sso');
      expect(d.metadata.labels['app.kubernetes.io/part-of']).toBe('todo-sso');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The API's own configuration loader accepts what the manifests give it
// ---------------------------------------------------------------------------------------------

describe('API configuration from the manifests', () => {
  const dotenv = Object.fromEntries(
    readFileSync(join(composeDir, '.env.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

  it.each([
    ['keycloak.yml', {}, 'http://localhost:8080/realms/todo-app', ['todo-api']],
    ['authentik.yml', {}, 'http://localhost:9000/application/o/todo-app/', ['todo-ui', 'todo-cli']],
    ['keycloak.prod.yml', dotenv, 'https://sso.example.com/realms/todo-app', ['todo-api']],
  ])('%s configures the API with a valid issuer and PostgreSQL', (file, vars, issuer, aud) => {
    const base = readYaml(join(composeDir, file === 'keycloak.prod.yml' ? 'keycloak.yml' : file));
    const env = environment(service(base, 'api'), vars);
    if (file === 'keycloak.prod.yml') {
      Object.assign(env, environment(service(readYaml(join(composeDir, file)), 'api'), vars));
    }
    const config = loadConfig(env);
    expect(config.issuers[0]).toMatchObject({ issuer, audience: aud });
    expect(config.issuers[0]?.discoveryUrl).toBe(env.OIDC_DISCOVERY_URL);
    expect(config.database.kind).toBe('postgres');
    expect(config.port).toBe(8000);
  });
});
