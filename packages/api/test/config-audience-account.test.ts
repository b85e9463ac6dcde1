/**
 * OIDC_AUDIENCE=todo-api,account is how an operator makes Keycloak's tokens without an audience
 * mapper pass (their aud is "account"), and it opens the API to every token of the realm: Keycloak
 * writes "account" into the aud of every token through its default roles scope. The API starts,
 * but says so at start (and `todo doctor` repeats it), naming the setting.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { configWarnings } from '../src/config/warnings.js';

const postgres = {
  OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
  DATABASE_URL: 'postgres://todo_sso:secret@db:5432/todo_sso',
  OIDC_CLIENT_ID: 'todo-api',
  OIDC_CLIENT_SECRET: 'a-secret',
  API_PUBLIC_URL: 'https://api.example.com',
};

describe('an audience of "account" at a Keycloak issuer', () => {
  it('is a warning naming OIDC_AUDIENCE and what to list instead', () => {
    const warnings = configWarnings(loadConfig({ ...postgres, OIDC_AUDIENCE: 'todo-api,account' }));
    expect(warnings).toEqual([
      `OIDC_AUDIENCE lists "account", which Keycloak writes into the aud of every token of the realm (its default roles scope): the API would accept tokens issued to any client of the realm, for any service; remove it, list the API's own audience (todo-api), and give each client that calls the API an audience mapper for it`,
    ]);
  });

  it('names the OIDC_ISSUERS entry field when the issuers are listed', () => {
    const issuers = JSON.stringify([
      { issuer: 'https://sso.example.com/realms/todo-app', audience: 'todo-api' },
      {
        issuer: 'https://sso.example.com/realms/other',
        audience: ['account'],
        clientId: 'todo-api',
        clientSecret: 'a-secret',
      },
    ]);
    const { OIDC_ISSUER: _, OIDC_CLIENT_ID: __, OIDC_CLIENT_SECRET: ___, ...rest } = postgres;
    const warnings = configWarnings(loadConfig({ ...rest, OIDC_ISSUERS: issuers }), {
      OIDC_ISSUERS: issuers,
    });
    expect(warnings.filter((w) => w.includes('"account"'))).toEqual([
      expect.stringMatching(/^OIDC_ISSUERS\[1\]\.audience lists "account", which Keycloak/),
    ]);
  });

  it('is no warning for providers that do not write it (Authentik, generic)', () => {
    for (const provider of ['authentik', 'generic']) {
      // Each with an issuer of its own layout (an Authentik one has its own warning otherwise).
      const env = {
        ...postgres,
        OIDC_ISSUER: 'https://auth.example.com/application/o/todo-app/',
        OIDC_PROVIDER: provider,
        OIDC_AUDIENCE: 'todo-ui,account',
      };
      expect(configWarnings(loadConfig(env)), provider).toEqual([]);
    }
    expect(configWarnings(loadConfig({ ...postgres, OIDC_AUDIENCE: 'todo-api' }))).toEqual([]);
  });
});
