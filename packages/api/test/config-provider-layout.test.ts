/**
 * An Authentik issuer (`/application/o/<slug>/`) left with OIDC_PROVIDER's default, keycloak, or
 * a Keycloak issuer (`/realms/<realm>`) with OIDC_PROVIDER=authentik: the API starts, then refuses
 * every token with a reason that points elsewhere (audience_mismatch). It says so at start, naming
 * the variable and the value to set, in every setup (`todo doctor` prints the same warning).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { configWarnings } from '../src/config/warnings.js';

const warningsOf = (env: Record<string, string>) => configWarnings(loadConfig(env), env);
const AUTHENTIK = 'https://auth.example.com/application/o/todo-app/';
const KEYCLOAK = 'https://sso.example.com/realms/todo-app';

describe("an issuer with another provider's layout than its profile", () => {
  it('is a warning naming OIDC_PROVIDER and the value to set, on SQLite too', () => {
    expect(warningsOf({ OIDC_ISSUER: AUTHENTIK })).toEqual([
      `OIDC_ISSUER ${AUTHENTIK} has Authentik's layout, but OIDC_PROVIDER is keycloak: the API reads the tokens' audience, roles and permissions where Keycloak writes them, so it would refuse Authentik's tokens; set OIDC_PROVIDER=authentik`,
    ]);
    expect(warningsOf({ OIDC_ISSUER: KEYCLOAK, OIDC_PROVIDER: 'authentik' })).toEqual([
      expect.stringMatching(/has Keycloak's layout, .* set OIDC_PROVIDER=keycloak$/),
    ]);
  });

  it("names the OIDC_ISSUERS entry's fields when the issuers are listed", () => {
    const issuers = JSON.stringify([
      { issuer: KEYCLOAK, clientId: 'todo-api', clientSecret: 'a-secret' },
      { issuer: AUTHENTIK, audience: 'todo-ui,todo-cli' },
    ]);
    const env = { OIDC_ISSUERS: issuers };
    expect(warningsOf(env)).toEqual([
      expect.stringMatching(
        /^OIDC_ISSUERS\[1\]\.issuer .* but OIDC_ISSUERS\[1\]\.provider is keycloak: .* set OIDC_ISSUERS\[1\]\.provider=authentik$/,
      ),
    ]);
  });

  it('is no warning for the right profile, the generic one, or a path no profile claims', () => {
    const envs: Record<string, string>[] = [
      { OIDC_ISSUER: KEYCLOAK },
      { OIDC_ISSUER: 'https://sso.example.com/auth/realms/todo-app' },
      { OIDC_ISSUER: AUTHENTIK, OIDC_PROVIDER: 'authentik' },
      { OIDC_ISSUER: AUTHENTIK, OIDC_PROVIDER: 'generic' },
      { OIDC_ISSUER: 'https://auth.example.com/', OIDC_PROVIDER: 'authentik' },
      { OIDC_ISSUER: 'https://login.example.com/tenant/v2.0' },
    ];
    for (const env of envs) expect(warningsOf(env), env.OIDC_ISSUER).toEqual([]);
  });
});
