/**
 * The API's own configuration loader accepts what the manifests give it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@todo-sso/api';
import { describe, expect, it } from 'vitest';
import { composeDir, environment, readYaml, service } from './support.js';

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
    // Every file names the API's resource: requests reach a container from the Docker network,
    // never from loopback, so without it /mcp would answer 503.
    expect(config.publicUrl).toBe(
      file === 'keycloak.prod.yml' ? 'https://api.todo.example.com' : 'http://localhost:8000',
    );
  });

  it('keycloak.prod.yml with a KEYCLOAK_PUBLIC_URL ending in / stops the API naming OIDC_ISSUER', () => {
    const vars = { ...dotenv, KEYCLOAK_PUBLIC_URL: 'https://sso.example.com/' };
    const env = environment(service(readYaml(join(composeDir, 'keycloak.yml')), 'api'), vars);
    Object.assign(
      env,
      environment(service(readYaml(join(composeDir, 'keycloak.prod.yml')), 'api'), vars),
    );
    expect(env.OIDC_ISSUER).toBe('https://sso.example.com//realms/todo-app');
    expect(() => loadConfig(env)).toThrow(/^OIDC_ISSUER: .*empty path segment \(\/\/\)/);
  });
});
