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
