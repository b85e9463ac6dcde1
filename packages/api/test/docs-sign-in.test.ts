import { readFileSync } from 'node:fs';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/** The API's address in development (`http://localhost:8000`). */
const DEV_API = 'http://localhost:8000';
const realmFile = new URL('../../../deploy/keycloak/realm-todo-app.json', import.meta.url);

interface RealmClient {
  clientId: string;
  publicClient?: boolean;
  standardFlowEnabled?: boolean;
  redirectUris?: string[];
  webOrigins?: string[];
  attributes?: Record<string, string>;
}

/**
 * The "Authorize" button of `/docs` runs Authorization Code + PKCE (RFC 7636) in the browser:
 * the IdP sends the code back to Swagger UI's redirect page, and the docs page then fetches the
 * token endpoint cross-origin. The dev realm must know both that redirect URI (RFC 6749 §3.1.2,
 * matched exactly) and the API's origin (CORS at the token endpoint).
 */
describe('signing in from /docs against the dev Keycloak realm', () => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let instance: Instance;
  beforeAll(async () => {
    idp = await startTestIssuer();
    database = sqliteDatabase();
    instance = await startInstance(testConfig(idp, database.config));
  });
  afterAll(async () => {
    await instance?.close();
    await idp?.close();
    await database?.drop();
  });

  it('serves Swagger UI’s OAuth 2.0 redirect page at /docs/static/oauth2-redirect.html', async () => {
    const initializer = await instance.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    // Resolved against the docs page (`/docs/`): `/docs/static/oauth2-redirect.html`.
    expect(initializer.body).toContain("resolveUrl('./static/oauth2-redirect.html')");
    const page = await instance.app.inject({ url: '/docs/static/oauth2-redirect.html' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });

  it('lets the sign-in popup return: COOP allows popups on /docs, the redirect page sets none', async () => {
    // HTML Standard, "Cross-origin opener policies": `same-origin` would sever window.opener.
    for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js']) {
      const res = await instance.app.inject({ url });
      expect(res.headers['cross-origin-opener-policy'], url).toBe('same-origin-allow-popups');
    }
    const redirect = await instance.app.inject({
      url: '/docs/static/oauth2-redirect.html?code=abc&state=xyz',
    });
    expect(redirect.statusCode).toBe(200);
    expect(redirect.headers['cross-origin-opener-policy']).toBe('unsafe-none');
    // Everything else keeps the API's own policy.
    const health = await instance.app.inject({ url: '/healthz' });
    expect(health.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it('allows no inline script or style: the one inline style Swagger UI applies goes by hash', async () => {
    const res = await instance.app.inject({ url: '/docs/' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]{43}='$/);
  });

  it('hides the client secret of the public docs client with a served stylesheet', async () => {
    const page = await instance.app.inject({ url: '/docs/' });
    expect(page.body).toContain('./static/theme/public-client.css');
    const css = await instance.app.inject({ url: '/docs/static/theme/public-client.css' });
    expect(css.statusCode).toBe(200);
    expect(css.body).toContain('label[for^="client_secret_"]');
    expect(css.body).toContain('display: none');
  });

  it('is allowed by the realm: the docs client accepts that redirect URI and the API origin', () => {
    const docsClientId = loadConfig({ OIDC_ISSUER: idp.issuer }).docsClientId;
    const realm = JSON.parse(readFileSync(realmFile, 'utf8')) as { clients: RealmClient[] };
    const client = realm.clients.find((c) => c.clientId === docsClientId);
    expect(client).toMatchObject({ publicClient: true, standardFlowEnabled: true });
    expect(client?.attributes?.['pkce.code.challenge.method']).toBe('S256');
    expect(client?.redirectUris).toContain(`${DEV_API}/docs/static/oauth2-redirect.html`);
    expect(client?.webOrigins).toContain(DEV_API);
  });
});
