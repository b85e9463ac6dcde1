/**
 * Compose files: the Keycloak and Authentik stacks, checked by parsing and, where installed, by the Compose CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type Any,
  cleanEnv,
  composeCli,
  composeDir,
  DOCUMENTED_ENV,
  deploy,
  environment,
  readYaml,
  realm,
  root,
  service,
} from './support.js';

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
    expect(service(file, 'api').ports).toEqual(['127.0.0.1:8000:8000']);
    expect(service(file, 'web').ports).toEqual(['127.0.0.1:3000:8080']);
  });

  it('mounts the repository realm file into Keycloak’s import folder and imports it', () => {
    const kc = service(keycloak, 'keycloak');
    expect(kc.image).toMatch(/^quay\.io\/keycloak\/keycloak:\$\{KEYCLOAK_VERSION:-26\.\d+\}$/);
    expect(kc.command).toEqual(['start-dev', '--import-realm']);
    expect(kc.ports).toEqual(['127.0.0.1:8080:8080']);
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
    expect(server.ports).toEqual(['127.0.0.1:9000:9000']);
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

    it.skipIf(!cli).each([
      [['-f', 'keycloak.yml', '-f', 'keycloak.prod.yml'], '.env.example'],
      [['-f', 'keycloak.yml'], emptyEnv],
      [['-f', 'authentik.yml'], emptyEnv],
    ])('%j publishes every port on loopback only', (files, envFile) => {
      // Behind the TLS proxy Keycloak trusts X-Forwarded-* (KC_PROXY_HEADERS) and the API the
      // right-most X-Forwarded-For (TRUST_PROXY=1): a port reachable around the proxy would let
      // any client choose the address they see. The merged file cannot take a published port
      // away again, so the base files publish on 127.0.0.1, where the proxy on the host reaches
      // them (on a laptop, the browser).
      const [bin, ...pre] = cli as [string, ...string[]];
      const result = spawnSync(bin, [...pre, '--env-file', envFile, ...files, 'config'], {
        cwd: composeDir,
        env: cleanEnv(),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const services = Object.entries(parse(result.stdout).services as Record<string, Any>);
      const published = services.flatMap(([name, svc]) =>
        ((svc.ports ?? []) as Any[]).map((p) => ({
          name,
          hostIp: typeof p === 'string' ? p.split(':').slice(0, -2).join(':') : p.host_ip,
        })),
      );
      expect(published.length).toBeGreaterThanOrEqual(3);
      for (const { name, hostIp } of published) expect(hostIp, name).toBe('127.0.0.1');
    });

    it.skipIf(!cli)('the production override is valid with every variable of .env.example', () => {
      const result = run(['-f', 'keycloak.yml', '-f', 'keycloak.prod.yml'], '.env.example');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      rmSync(scratch, { recursive: true, force: true });
    });
  });
});
