import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config.js';
import { loadConfig } from '../src/config/load.js';
import { configWarnings } from '../src/config/warnings.js';

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('defaults to the dev realm, audience todo-api, SQLite under .data and port 8000', () => {
    const config = loadConfig({});
    expect(config.issuers).toEqual([
      {
        issuer: 'http://localhost:8080/realms/todo-app',
        audience: ['todo-api'],
        profile: 'keycloak',
        verify: 'jwt',
        dpop: 'allowed',
      },
    ]);
    expect(config.database).toEqual({ kind: 'sqlite', file: join(resolve('.data'), 'todo.db') });
    expect(config.port).toBe(8000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.corsOrigins).toEqual(['http://localhost:3000']);
    expect(config.logoutAudiences).toEqual(['todo-ui', 'todo-cli']);
    expect(config.docsClientId).toBe('todo-ui');
  });

  it('refuses an OIDC_DPOP outside off, allowed, required, naming the variable', () => {
    expect(() => loadConfig({ OIDC_DPOP: 'maybe' })).toThrow(/OIDC_DPOP/);
    expect(() =>
      loadConfig({ OIDC_ISSUERS: '[{"issuer":"https://a.example/realms/x","dpop":"on"}]' }),
    ).toThrow(/OIDC_ISSUERS\[0\]\.dpop/);
    const entry = loadConfig({
      OIDC_ISSUERS: '[{"issuer":"https://a.example/realms/x","dpop":"off"}]',
    });
    expect(entry.issuers[0]?.dpop).toBe('off');
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.issuers[0])).toBe(true);
    expect(Object.isFrozen(config.issuers[0]?.audience)).toBe(true);
  });

  it('maps every single-issuer variable onto the issuer options', () => {
    const config = loadConfig({
      OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
      OIDC_AUDIENCE: 'todo-api, other-api',
      OIDC_PROVIDER: 'generic',
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 's3cret',
      OIDC_DISCOVERY_URL: 'http://keycloak:8080/realms/todo-app',
      OIDC_ROLES_CLAIM: 'roles',
      OIDC_PERMISSIONS_CLAIM: 'permissions',
      OIDC_ADMIN_ROLE: 'superuser',
      OIDC_ATTRIBUTE_CLAIMS: 'department,team',
      OIDC_DPOP: 'required',
      DATABASE_URL: 'postgres://u:p@db:5432/todo',
      CORS_ORIGINS: 'https://todo.example.com,https://admin.example.com',
      PORT: '9999',
      HOST: '127.0.0.1',
    });
    expect(config.issuers).toEqual([
      {
        issuer: 'https://sso.example.com/realms/todo-app',
        audience: ['todo-api', 'other-api'],
        profile: 'generic',
        verify: 'introspect',
        dpop: 'required',
        clientId: 'todo-api',
        clientSecret: 's3cret',
        discoveryUrl: 'http://keycloak:8080/realms/todo-app',
        rolesClaim: 'roles',
        permissionsClaim: 'permissions',
        adminRole: 'superuser',
        attributeClaims: ['department', 'team'],
      },
    ]);
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/todo' });
    expect(config.corsOrigins).toEqual(['https://todo.example.com', 'https://admin.example.com']);
    expect(config).toMatchObject({ port: 9999, host: '127.0.0.1' });
  });

  it('defaults an Authentik issuer’s audiences to the client ids Authentik puts in aud', () => {
    const config = loadConfig({
      OIDC_ISSUER: 'http://localhost:9000/application/o/todo-app/',
      OIDC_PROVIDER: 'authentik',
    });
    expect(config.issuers[0]?.audience).toEqual(['todo-ui', 'todo-cli']);
  });

  it('reads several trusted issuers from OIDC_ISSUERS', () => {
    const config = loadConfig({
      OIDC_ISSUERS: JSON.stringify([
        { issuer: 'http://localhost:8080/realms/todo-app', audience: 'todo-api' },
        {
          issuer: 'http://localhost:9000/application/o/todo-app/',
          provider: 'authentik',
          audience: ['todo-ui', 'todo-cli'],
        },
      ]),
    });
    expect(config.issuers.map((i) => [i.profile, i.audience])).toEqual([
      ['keycloak', ['todo-api']],
      ['authentik', ['todo-ui', 'todo-cli']],
    ]);
  });

  it('refuses a production database (DATABASE_URL) without an issuer, naming OIDC_ISSUER', () => {
    const error = failure({ DATABASE_URL: 'postgres://u:p@db:5432/todo' });
    expect(error.variable).toBe('OIDC_ISSUER');
    expect(error.message).toMatch(/required when DATABASE_URL is set/);
    expect(error.message).not.toContain('u:p@');
    const listed = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/todo',
      OIDC_ISSUERS: '[{"issuer":"https://sso.example.com/realms/todo-app"}]',
    });
    expect(listed.issuers.map((i) => i.issuer)).toEqual([
      'https://sso.example.com/realms/todo-app',
    ]);
    // The localhost default stays for the embedded SQLite mode.
    expect(loadConfig({}).issuers[0]?.issuer).toBe('http://localhost:8080/realms/todo-app');
  });

  it.each([
    ['OIDC_DPOP', 'required', 'dpop'],
    ['OIDC_VERIFY', 'introspect', 'verify'],
    ['OIDC_AUDIENCE', 'todo-api', 'audience'],
    ['OIDC_PROVIDER', 'authentik', 'provider'],
    ['OIDC_CLIENT_ID', 'todo-api', 'clientId'],
    ['OIDC_CLIENT_SECRET', 'hunter2', 'clientSecret'],
    ['OIDC_DISCOVERY_URL', 'http://keycloak:8080/realms/todo-app', 'discoveryUrl'],
    ['OIDC_ROLES_CLAIM', 'groups', 'rolesClaim'],
    ['OIDC_PERMISSIONS_CLAIM', 'perms', 'permissionsClaim'],
    ['OIDC_ADMIN_ROLE', 'superuser', 'adminRole'],
    ['OIDC_ATTRIBUTE_CLAIMS', 'department,region', 'attributeClaims'],
  ])(
    'refuses %s beside OIDC_ISSUERS, which would ignore it, naming the entry field %s',
    (variable, value, field) => {
      // Ignored, OIDC_DPOP=required or OIDC_VERIFY=introspect would start the API accepting
      // bearer tokens, or tokens revoked at the provider, that the operator meant to refuse.
      const error = failure({
        OIDC_ISSUERS: '[{"issuer":"https://sso.example.com/realms/todo-app"}]',
        [variable]: value,
      });
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(`"${field}"`);
      expect(error.message).not.toContain('hunter2');
    },
  );

  it('refuses AUTHZ_PDP_TOKEN without AUTHZ_PDP_URL, which would leave the local table deciding', () => {
    const error = failure({ AUTHZ_PDP_TOKEN: 'pdp-secret-token' });
    expect(error.variable).toBe('AUTHZ_PDP_TOKEN');
    expect(error.message).toContain('AUTHZ_PDP_URL');
    expect(error.message).not.toContain('pdp-secret-token');
    expect(failure({ AUTHZ_PDP_URL: 'http://[pdp' }).variable).toBe('AUTHZ_PDP_URL');
    const both = loadConfig({ AUTHZ_PDP_URL: 'https://pdp.example.com', AUTHZ_PDP_TOKEN: 't' });
    expect(both.pdp).toEqual({ url: 'https://pdp.example.com', token: 't' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ' })).toMatchObject({
      port: 8000,
      database: { kind: 'sqlite' },
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ OIDC_ISSUER: 'not a url' }, 'OIDC_ISSUER'],
    [{ OIDC_PROVIDER: 'okta' }, 'OIDC_PROVIDER'],
    [{ OIDC_VERIFY: 'both' }, 'OIDC_VERIFY'],
    [{ DATABASE_URL: 'mysql://db/todo' }, 'DATABASE_URL'],
    [{ OIDC_AUDIENCE: ',' }, 'OIDC_AUDIENCE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ BODY_LIMIT_BYTES: '-1' }, 'BODY_LIMIT_BYTES'],
    [{ OIDC_VERIFY: 'introspect' }, 'OIDC_CLIENT_ID'],
    [{ OIDC_VERIFY: 'introspect', OIDC_CLIENT_ID: 'todo-api' }, 'OIDC_CLIENT_SECRET'],
    [{ OIDC_ISSUERS: '[{' }, 'OIDC_ISSUERS'],
    [{ OIDC_ISSUERS: '[]' }, 'OIDC_ISSUERS'],
    [{ OIDC_ISSUERS: '[{"issuer":"http://a"}]', OIDC_ISSUER: 'http://b' }, 'OIDC_ISSUERS'],
    [{ OIDC_ISSUERS: '[{"issuer":"http://a","provider":"okta"}]' }, 'OIDC_ISSUERS[0].provider'],
    [{ OIDC_ISSUERS: '[{"issuer":"http://a","verify":"introspect"}]' }, 'OIDC_ISSUERS[0].clientId'],
    [
      { OIDC_ISSUERS: '[{"issuer":"http://a","requireAtJwtTyp":1}]' },
      'OIDC_ISSUERS[0].requireAtJwtTyp',
    ],
    // RFC 9068 §4 types a JWT the API verifies itself; an introspected token's header is not read.
    [
      {
        OIDC_ISSUERS:
          '[{"issuer":"http://a","verify":"introspect","clientId":"api","clientSecret":"s","requireAtJwtTyp":true}]',
      },
      'OIDC_ISSUERS[0].requireAtJwtTyp',
    ],
    // Which of two entries for one issuer would decide (dpop, verify…) is nobody's choice.
    [
      { OIDC_ISSUERS: '[{"issuer":"http://a","dpop":"required"},{"issuer":"http://a"}]' },
      'OIDC_ISSUERS[1].issuer',
    ],
  ])('refuses %j naming %s', (env, variable) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('passes an OIDC_ISSUERS entry its requireAtJwtTyp, and leaves it out when unset', () => {
    const config = loadConfig({
      OIDC_ISSUERS: JSON.stringify([
        { issuer: 'https://a.example/realms/a', requireAtJwtTyp: true },
        { issuer: 'https://b.example/realms/b', requireAtJwtTyp: false },
        { issuer: 'https://c.example/realms/c' },
      ]),
    });
    expect(config.issuers.map((i) => i.requireAtJwtTyp)).toEqual([true, false, undefined]);
  });

  it('never puts a secret into an error message', () => {
    const error = failure({ OIDC_CLIENT_SECRET: 'hunter2', OIDC_VERIFY: 'introspect' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('the default data directory', () => {
  it('is .data where npm was run (INIT_CWD), so `npm run api` and `npm start` share it', () => {
    const config = loadConfig({ INIT_CWD: '/work/todo-sso' });
    expect(config.database).toEqual({ kind: 'sqlite', file: '/work/todo-sso/.data/todo.db' });
    const relative = loadConfig({ INIT_CWD: '/work/todo-sso', DATA_DIR: 'var/data' });
    expect(relative.database).toEqual({ kind: 'sqlite', file: '/work/todo-sso/var/data/todo.db' });
    const absolute = loadConfig({ INIT_CWD: '/work/todo-sso', DATA_DIR: '/srv/todo' });
    expect(absolute.database).toEqual({ kind: 'sqlite', file: '/srv/todo/todo.db' });
  });
});

describe('configuration messages', () => {
  it('an enum variable with another value lists the allowed values', () => {
    expect(() => loadConfig({ OIDC_VERIFY: 'jwks' })).toThrow(
      'OIDC_VERIFY: must be one of jwt, introspect (got "jwks")',
    );
  });
});

describe('API_PUBLIC_URL', () => {
  it('is https, or http on a loopback host only (RFC 9728 §1.2, AuthZEN 1.0 §9.1)', () => {
    expect(loadConfig({ API_PUBLIC_URL: 'https://todo.example.com/' }).publicUrl).toBe(
      'https://todo.example.com',
    );
    for (const local of ['http://localhost:8000', 'http://127.0.0.1:8000', 'http://[::1]:8000'])
      expect(loadConfig({ API_PUBLIC_URL: local }).publicUrl, local).toBe(local);
    for (const remote of ['http://todo.example.com', 'http://localhost.example.com'])
      expect(() => loadConfig({ API_PUBLIC_URL: remote }), remote).toThrow(
        /^API_PUBLIC_URL: must use https/,
      );
    for (const odd of ['https://todo.example.com/?x=1', 'https://u:p@todo.example.com'])
      expect(() => loadConfig({ API_PUBLIC_URL: odd }), odd).toThrow(
        /^API_PUBLIC_URL: must have no/,
      );
  });

  // RFC 3986 §2.2: `/a%2Fb` is another path than `/a/b`, and the router matches a path with its
  // reserved characters still encoded against routes it holds decoded: no route it can hold
  // serves `/.well-known/oauth-protected-resource/a%2Fb` (RFC 9728 §3.1), so the metadata every
  // challenge names would be 404. `%25` (the `%` itself) and other escapes route as written.
  it('refuses a path holding a percent-encoded reserved character other than %', () => {
    for (const encoded of ['%2F', '%2f', '%3A', '%40', '%3B', '%3D', '%2C', '%2B', '%26', '%24'])
      expect(
        () => loadConfig({ API_PUBLIC_URL: `https://todo.example.com/a${encoded}b` }),
        encoded,
      ).toThrow(
        new RegExp(
          `^API_PUBLIC_URL: must have no percent-encoded reserved character .* \\(got "/a${encoded}b"\\)$`,
        ),
      );
    for (const path of ['/a%25b', '/t%C3%A9', '/v1:todo', '/a%7Eb', '/a%21b', '/a%28b%29'])
      expect(loadConfig({ API_PUBLIC_URL: `https://todo.example.com${path}` }).publicUrl).toBe(
        `https://todo.example.com${path}`,
      );
  });

  // The routes are registered with the path decoded as the router decodes a request's
  // (`literalRoute`), so `%2A` became a literal `*`, the router's wildcard: the API did not start
  // (`/.well-known/oauth-protected-resource/a*b/mcp`: "Wildcard must be the last character").
  // RFC 3986 §2.1: `%` and two hex digits, and the router decodes them as UTF-8: it answers a
  // path it cannot decode 400, so the metadata every challenge names could never be read.
  it('refuses a path whose percent-encoding the router cannot decode', () => {
    for (const path of ['/a%ZZ', '/a%', '/a%C3', '/a%E0%A4%A'])
      expect(() => loadConfig({ API_PUBLIC_URL: `https://todo.example.com${path}` }), path).toThrow(
        new RegExp(
          `^API_PUBLIC_URL: must have a path of well-formed percent-encoded UTF-8 .*\\(got "${path}"\\)$`,
        ),
      );
  });

  it('refuses a percent-encoded * in the path as it refuses a *', () => {
    for (const path of ['/a%2Ab', '/a%2ab', '/a%2A'])
      expect(() => loadConfig({ API_PUBLIC_URL: `https://todo.example.com${path}` }), path).toThrow(
        new RegExp(`^API_PUBLIC_URL: must have no \\* in its path, nor %2A .*\\(got "${path}"\\)$`),
      );
  });
});

describe('configWarnings', () => {
  const postgres = {
    OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
    DATABASE_URL: 'postgres://todo_sso:secret@db:5432/todo_sso',
    OIDC_CLIENT_ID: 'todo-api',
    OIDC_CLIENT_SECRET: 'a-secret',
  };

  it('warns a production database without API_PUBLIC_URL that /mcp is served on loopback alone', () => {
    const warnings = configWarnings(loadConfig(postgres));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^API_PUBLIC_URL is not set: .*loopback.*\/mcp .*503/);
  });

  it('warns a production database accepting DPoP without API_PUBLIC_URL that htu comes from Host', () => {
    const [accepted] = configWarnings(loadConfig(postgres));
    expect(accepted).toMatch(
      /^API_PUBLIC_URL is not set: .*DPoP proofs' htu \(RFC 9449 §4\.3\) is checked against the Host or X-Forwarded-Host .*set API_PUBLIC_URL/,
    );
    const [off] = configWarnings(loadConfig({ ...postgres, OIDC_DPOP: 'off' }));
    expect(off).toMatch(/^API_PUBLIC_URL is not set: /);
    expect(off).not.toMatch(/DPoP/);
  });

  it('says nothing for a production database with API_PUBLIC_URL, or for the embedded SQLite setup', () => {
    expect(
      configWarnings(loadConfig({ ...postgres, API_PUBLIC_URL: 'https://api.example.com' })),
    ).toEqual([]);
    expect(configWarnings(loadConfig({}))).toEqual([]);
  });

  it('warns a production Keycloak setup without the API client credentials what stops working', () => {
    const env = { ...postgres, API_PUBLIC_URL: 'https://api.example.com' };
    for (const missing of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET']) {
      const warnings = configWarnings(loadConfig({ ...env, [missing]: '' }));
      expect(warnings, missing).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are not both set: .*501.*set both/,
      );
    }
    // Authentik and generic providers have no such admin API: nothing to warn about.
    expect(
      configWarnings(
        loadConfig({
          ...env,
          OIDC_CLIENT_ID: '',
          OIDC_CLIENT_SECRET: '',
          OIDC_PROVIDER: 'authentik',
          OIDC_ISSUER: 'https://auth.example.com/application/o/todo-app/',
        }),
      ),
    ).toEqual([]);
  });

  it('names the OIDC_ISSUERS entry fields, not the single-issuer variables refused beside it', () => {
    const entries = [
      { issuer: 'https://auth.example.com/application/o/a/', provider: 'authentik' },
      { issuer: 'http://10.0.0.5:8080/realms/b' },
    ];
    const warnings = configWarnings(
      loadConfig({ DATABASE_URL: postgres.DATABASE_URL, OIDC_ISSUERS: JSON.stringify(entries) }),
    );
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/REST routes accept each issuer's audience alone, and DPoP/);
    expect(warnings[1]).toMatch(
      /^OIDC_ISSUERS\[1\]\.clientId and OIDC_ISSUERS\[1\]\.clientSecret are not both set: .*501.*set both/,
    );
    expect(warnings[2]).toMatch(
      /internal http address belongs in OIDC_ISSUERS\[1\]\.discoveryUrl\)$/,
    );
    // Following the advice must not stop the start: these variables are refused beside OIDC_ISSUERS.
    for (const variable of ['OIDC_CLIENT_ID', 'OIDC_DISCOVERY_URL', 'OIDC_AUDIENCE'])
      expect(warnings.join('\n')).not.toContain(variable);
  });

  it('warns a production database asking a decision point over http on another machine', () => {
    const env = { ...postgres, API_PUBLIC_URL: 'https://api.example.com' };
    const warnings = configWarnings(
      loadConfig({ ...env, AUTHZ_PDP_URL: 'http://pdp.example.com:8181', AUTHZ_PDP_TOKEN: 'tk' }),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^AUTHZ_PDP_URL http:\/\/pdp\.example\.com:8181 is not https: .*allow.*AUTHZ_PDP_TOKEN/,
    );
    for (const url of ['https://pdp.example.com', 'http://127.0.0.1:8181', 'http://localhost:1']) {
      expect(configWarnings(loadConfig({ ...env, AUTHZ_PDP_URL: url })), url).toEqual([]);
    }
  });

  it('warns a production database trusting an http issuer on another machine', () => {
    const env = { ...postgres, API_PUBLIC_URL: 'https://api.example.com' };
    const warnings = configWarnings(
      loadConfig({ ...env, OIDC_ISSUER: 'http://sso.example.com/realms/todo-app' }),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^OIDC_ISSUER http:\/\/sso\.example\.com\/realms\/todo-app is not https: .*https:\/\//,
    );
    const multi = configWarnings(
      loadConfig({
        DATABASE_URL: postgres.DATABASE_URL,
        API_PUBLIC_URL: 'https://api.example.com',
        OIDC_ISSUERS: JSON.stringify([
          { issuer: 'https://sso.example.com/realms/a', clientId: 'todo-api', clientSecret: 's' },
          { issuer: 'http://10.0.0.5:8080/realms/b' },
        ]),
      }),
    );
    expect(multi).toHaveLength(1);
    expect(multi[0]).toMatch(
      /^OIDC_ISSUERS\[1\]\.issuer http:\/\/10\.0\.0\.5:8080\/realms\/b is not https/,
    );
    // A password or key in the issuer's URL is not repeated: the warning reaches logs and doctor.
    const [secret] = configWarnings(
      loadConfig({ ...env, OIDC_ISSUER: 'http://ops:hunter2@sso.example.com/realms/a?k=hunter3' }),
    );
    expect(secret).toMatch(/^OIDC_ISSUER http:\/\/…@sso\.example\.com\/realms\/a\?… is not https/);
    expect(secret).not.toMatch(/hunter|ops:/);
    // This machine's own provider (a compose file's default) and the embedded setup stay quiet.
    expect(
      configWarnings(loadConfig({ ...env, OIDC_ISSUER: 'http://localhost:8080/realms/todo-app' })),
    ).toEqual([]);
    expect(
      configWarnings(loadConfig({ OIDC_ISSUER: 'http://sso.example.com/realms/todo-app' })),
    ).toEqual([]);
  });
});
