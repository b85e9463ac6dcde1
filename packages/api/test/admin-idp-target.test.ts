import { describe, expect, it } from 'vitest';
import { idpAdminTarget } from '../src/admin-idp/connection.js';
import { loadConfig } from '../src/config/load.js';

/**
 * What the Admin screen's 501 tells an operator whose Keycloak issuer has no service-account
 * credentials: the setting to fill in must be one the API starts with. Beside OIDC_ISSUERS the
 * single-issuer variables (OIDC_CLIENT_ID, OIDC_CLIENT_SECRET) stop the start.
 */
describe('idpAdminTarget without the API client credentials', () => {
  const issuer = 'https://sso.example.com/realms/todo-app';

  it('names the variables with OIDC_ISSUER, and the entry fields with OIDC_ISSUERS', () => {
    const single = idpAdminTarget(loadConfig({ OIDC_ISSUER: issuer }));
    expect(single).toMatchObject({ unsupported: expect.stringMatching(/OIDC_CLIENT_SECRET/) });
    const listed = loadConfig({ OIDC_ISSUERS: JSON.stringify([{ issuer, provider: 'keycloak' }]) });
    const target = idpAdminTarget(listed);
    expect(target).toMatchObject({
      unsupported: expect.stringMatching(
        /"clientId" and "clientSecret" in the OIDC_ISSUERS entry of https:\/\/sso\.example\.com\/realms\/todo-app/,
      ),
    });
    // The advice, followed, starts the API.
    expect(() =>
      loadConfig({
        OIDC_ISSUERS: JSON.stringify([
          { issuer, provider: 'keycloak', clientId: 'todo-api', clientSecret: 's' },
        ]),
      }),
    ).not.toThrow();
  });
});
