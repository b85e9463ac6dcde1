import { describe, expect, it } from 'vitest';
import { useDevIdp } from './support/dev-idp.js';

/**
 * Without IDP_ADMIN_URL the Keycloak Admin REST API is found where the API reaches the realm:
 * OIDC_DISCOVERY_URL in each form the key loader accepts (the realm's URL, its discovery
 * document's URL in the OpenID Connect or the RFC 8414 §3.1 form, or the server's origin alone,
 * which keeps the issuer's path), else the issuer.
 * The dev IdP serves both the realm and the admin API on one origin, as Keycloak does.
 */
describe('the identity provider admin API found from OIDC_DISCOVERY_URL', () => {
  const suite = useDevIdp('idp-admin-alias');

  it.each([
    ['the realm URL', () => suite.idp.issuer],
    ['the discovery document URL', () => `${suite.idp.issuer}/.well-known/openid-configuration`],
    ['the origin alone', () => new URL(suite.idp.issuer).origin],
    [
      // RFC 8414 §3.1: the well-known segment between the host and the issuer's path.
      'the path-inserted authorization server metadata URL',
      () => {
        const { origin, pathname } = new URL(suite.idp.issuer);
        return `${origin}/.well-known/oauth-authorization-server${pathname}`;
      },
    ],
  ])('%s', async (_form, discoveryUrl) => {
    const instance = await suite.instance({
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      OIDC_DISCOVERY_URL: discoveryUrl(),
    });
    const res = await instance.app.inject({
      method: 'GET',
      url: '/admin/idp/users',
      headers: { authorization: `Bearer ${suite.adminToken}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toEqual(
      expect.arrayContaining([expect.objectContaining({ username: 'alice' })]),
    );
  });
});
