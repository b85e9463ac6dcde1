/**
 * A bad value stops the API with one line naming the variable: that line must also say what a
 * good value looks like, in words a person setting the variable can act on (never a regular
 * expression), and must not repeat the value of a variable that holds a secret.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config.js';
import { loadConfig } from '../src/config/load.js';

function message(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('configuration errors say how to fix the value', () => {
  it.each([
    ['OIDC_ISSUER', 'sso.example.com', /OIDC_ISSUER: must be an http:\/\/ or https:\/\/ URL/],
    ['OIDC_DISCOVERY_URL', 'keycloak:8080', /OIDC_DISCOVERY_URL: must be an http:\/\/ or https/],
    ['AUTHZ_PDP_URL', 'pdp', /AUTHZ_PDP_URL: must be an http:\/\/ or https/],
    ['API_PUBLIC_URL', 'api.example.com', /API_PUBLIC_URL: must be an http:\/\/ or https/],
    [
      'API_PUBLIC_URL',
      'https://api.example.com/a*b',
      /API_PUBLIC_URL: must have no \* in its path/,
    ],
    ['OIDC_AUDIENCE', ',', /OIDC_AUDIENCE: must be a comma-separated list/],
    ['CORS_ORIGINS', 'a,,b', /CORS_ORIGINS: must be a comma-separated list/],
    ['OIDC_ROLES_CLAIM', 'realm_access..roles', /OIDC_ROLES_CLAIM: must be a claim path/],
    ['RATE_LIMIT_PER_MINUTE', 'often', /RATE_LIMIT_PER_MINUTE: must be a whole number from 1/],
    ['BODY_LIMIT_BYTES', '0', /BODY_LIMIT_BYTES: must be a whole number from 1/],
    ['PORT', 'http', /PORT: must be a port number from 0 to 65535/],
    ['STEP_UP_MAX_AGE_SECONDS', '-5', /STEP_UP_MAX_AGE_SECONDS: must be a whole number of seconds/],
    ['IDP_ADMIN_URL', 'https://sso.example.com/x', /IDP_ADMIN_URL: must be .*\/admin\/realms\//],
    ['OIDC_ISSUERS', '[', /OIDC_ISSUERS: must be a JSON array of issuer objects/],
  ])('%s=%s', (name, value, expected) => {
    const text = message({ [name]: value });
    expect(text).toMatch(expected);
    expect(text).not.toMatch(/pattern|\^|\$"/);
  });

  it.each([
    ['https://todo.example.com/', 'https://todo.example.com'],
    ['https://todo.example.com/app', 'https://todo.example.com'],
    ['https://Todo.Example.com', 'https://todo.example.com'],
    ['https://todo.example.com:443', 'https://todo.example.com'],
    ['http://localhost:3000,https://todo.example.com/', 'https://todo.example.com'],
  ])(
    'CORS_ORIGINS=%s, which no browser Origin equals, is refused with the origin to write',
    (value, origin) => {
      const text = message({ CORS_ORIGINS: value });
      expect(text).toMatch(/^CORS_ORIGINS: ".*" is not an origin as browsers send it/);
      expect(text).toMatch(new RegExp(`; write ${origin.replaceAll('.', '\\.')}$`));
    },
  );

  it.each(['todo.example.com', 'chrome-extension://abc', '*'])(
    'CORS_ORIGINS=%s, not an http(s) origin, is refused',
    (value) => {
      expect(message({ CORS_ORIGINS: value })).toMatch(
        /^CORS_ORIGINS: each entry must be a browser origin such as https:\/\/todo\.example\.com/,
      );
    },
  );

  it.each([
    ['*', /"\*" is not accepted: .*never allowed any origin.*name each browser app's origin/],
    ['null', /"null" is not accepted: any page can send it/],
  ])('CORS_ORIGINS=%s says why that entry is refused', (value, reason) => {
    expect(message({ CORS_ORIGINS: `http://localhost:3000,${value}` })).toMatch(reason);
  });

  it('OIDC_VERIFY=introspect without the client names the variables to set, not entry fields', () => {
    expect(message({ OIDC_VERIFY: 'introspect', OIDC_CLIENT_ID: 'todo-api' })).toBe(
      'OIDC_CLIENT_SECRET: http://localhost:8080/realms/todo-app: introspection (RFC 7662 §2.1) needs the resource server’s OIDC_CLIENT_ID and OIDC_CLIENT_SECRET',
    );
    // An OIDC_ISSUERS entry keeps the names of its fields.
    expect(
      message({ OIDC_ISSUERS: '[{"issuer":"https://sso.example.com","verify":"introspect"}]' }),
    ).toMatch(
      /^OIDC_ISSUERS\[0\]\.clientId: .* needs the resource server’s clientId and clientSecret$/,
    );
  });

  it('an OIDC_ISSUER with // in its path (a public URL ending in / joined with the realm) is refused', () => {
    expect(message({ OIDC_ISSUER: 'https://sso.example.com//realms/todo-app' })).toBe(
      'OIDC_ISSUER: https://sso.example.com//realms/todo-app: the issuer has an empty path segment (//), as when a base URL ending in a slash is joined with a path: remove the extra slash (e.g. from the public URL it was built from)',
    );
  });

  it('CORS_ORIGINS takes origins as browsers send them, with a port or on loopback', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'http://localhost:3000, https://todo.example.com:8443' })
        .corsOrigins,
    ).toEqual(['http://localhost:3000', 'https://todo.example.com:8443']);
  });

  it.each([
    ['DATABASE_URL', 'mysql://todo:hunter2-secret@db/todo', /DATABASE_URL: must be a postgres/],
    ['DPOP_NONCE_SECRET', 'hunter2-secret', /DPOP_NONCE_SECRET: must be at least 32 characters/],
  ])('%s names the variable and what it needs, never the value', (name, value, expected) => {
    const text = message({ [name]: value });
    expect(text).toMatch(expected);
    expect(text).not.toContain('hunter2');
  });

  it.each([
    [
      'AUTHZ_PDP_URL',
      'pdp.internal/access/v1/evaluation?api_key=hunter2',
      '"pdp.internal/access/v1/evaluation?…"',
    ],
    ['AUTHZ_PDP_URL', 'https://pdp.internal/x?api_key=hunter2 x', '"https://pdp.internal/x?…"'],
    [
      'IDP_ADMIN_URL',
      'https://sso.example.com/admin?access_token=hunter2',
      '"https://sso.example.com/admin?…"',
    ],
    ['OIDC_DISCOVERY_URL', 'keycloak:8080/x#client_secret=hunter2', '"keycloak:8080/x#…"'],
  ])(
    '%s: a URL is repeated without its query or fragment, which may hold a key',
    (name, value, shown) => {
      const text = message({ [name]: value });
      expect(text).toContain(`(got ${shown})`);
      expect(text).not.toContain('hunter2');
    },
  );

  it('an entry of OIDC_ISSUERS does not repeat the query of its URL either', () => {
    const text = message({
      OIDC_ISSUERS:
        '[{"issuer":"https://a.example/realms/a","discoveryUrl":"kc/x?client_secret=hunter2"}]',
    });
    expect(text).toBe(
      'OIDC_ISSUERS[0].discoveryUrl: must be an http:// or https:// URL without spaces (got "kc/x?…")',
    );
  });

  it('an entry of OIDC_ISSUERS with an unknown or empty field says which fields there are', () => {
    expect(
      message({ OIDC_ISSUERS: '[{"issuer":"https://sso.example.com/realms/a","client_id":"x"}]' }),
    ).toBe(
      'OIDC_ISSUERS[0].client_id: is not a field of an issuer entry (known: issuer, audience, provider, verify, dpop, clientId, clientSecret, discoveryUrl, rolesClaim, permissionsClaim, adminRole, attributeClaims, acrLevels, stepUpAcr, requireAtJwtTyp)',
    );
    expect(
      message({
        OIDC_ISSUERS: '[{"issuer":"https://sso.example.com/realms/a","clientSecret":""}]',
      }),
    ).toBe('OIDC_ISSUERS[0].clientSecret: must not be empty');
  });

  it('an entry of OIDC_ISSUERS is explained the same way', () => {
    expect(message({ OIDC_ISSUERS: '[{"issuer":"sso.example.com"}]' })).toMatch(
      /OIDC_ISSUERS\[0\]\.issuer: must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it.each([
    ['audience', 5, 'a list of non-empty audience names, or a comma-separated string'],
    ['audience', ['todo-api', ''], 'a list of non-empty audience names, or a comma-separated'],
    ['audience', 'todo-api,,docs', 'a list of non-empty audience names, or a comma-separated'],
    ['attributeClaims', true, 'a list of non-empty claim names, or a comma-separated string'],
    ['attributeClaims', ['department', ''], 'a list of non-empty claim names, or a comma-'],
    ['attributeClaims', ' , ', 'a list of non-empty claim names, or a comma-separated string'],
    ['requireAtJwtTyp', 'true', 'true or false (a JSON boolean)'],
  ])('an OIDC_ISSUERS entry whose %s is %j says the form in words', (field, value, form) => {
    const entry = { issuer: 'https://sso.example.com/realms/a', [field]: value };
    const text = message({ OIDC_ISSUERS: JSON.stringify([entry]) });
    expect(text.startsWith(`OIDC_ISSUERS[0].${field}: must be ${form}`)).toBe(true);
    expect(text).not.toMatch(/must be string|must match pattern|\^/);
  });
});
