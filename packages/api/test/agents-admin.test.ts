import { admin } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { agentClassifier } from '../src/agents/clients.js';
import { loadConfig } from '../src/config/load.js';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, mfaClaims, startHarness } from './support/harness.js';

const BASE = 'https://todo.example.com';

function useAgentHarness(): Harness {
  const database = useTestDatabase(sqliteDriver);
  return suiteFixture(
    false,
    () =>
      startHarness(database.config, {
        API_PUBLIC_URL: BASE,
        STEP_UP_ACR: 'mfa',
        STEP_UP_MAX_AGE_SECONDS: '900',
      }),
    (h) => h.close(),
  );
}

/**
 * An agent (a client other than the product's own, such as one an MCP client registered) acts
 * for the person who allowed it on their todos, never on the administration of the product:
 * not even an administrator's agent holding a fresh second-factor token.
 */
describe("an administrator's agent and the admin routes", () => {
  const h = useAgentHarness();
  const adminAgent = (aud: string) =>
    h.idp.accessToken(admin, { claims: { ...mfaClaims(), aud, azp: 'agent-client' } });
  const get = (token: string, url: string) =>
    h.app.inject({ url, headers: { authorization: `Bearer ${token}` } });

  for (const aud of [`${BASE}/mcp`, 'todo-api']) {
    it(`refuses admin work to an agent's token for ${aud} with 403, audited as a denial`, async () => {
      const token = await adminAgent(aud);
      for (const url of ['/admin/audit', '/admin/users', '/admin/todos', '/admin/idp/users']) {
        const res = await get(token, url);
        expect(res.statusCode, url).toBe(403);
        expect(res.json(), url).toMatchObject({ code: 'forbidden' });
      }
      const head = await h.app.inject({
        method: 'HEAD',
        url: '/admin/audit',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(head.statusCode).toBe(403);
      const revoke = await h.app.inject({
        method: 'POST',
        url: '/admin/sessions/revoke',
        headers: { authorization: `Bearer ${token}` },
        payload: { sub: 'alice-sub' },
      });
      expect(revoke.statusCode).toBe(403);
      const denials = await h.context.db.kysely
        .selectFrom('audit_log')
        .select(['action', 'outcome'])
        .where('action', '=', 'GET /admin/audit')
        .where('outcome', '=', 'denied')
        .execute();
      expect(denials.length).toBeGreaterThan(0);
      // Its todo work for the person is unaffected.
      expect((await get(token, '/todos/')).statusCode).toBe(200);
    });
  }

  it("still serves the administrator's own client (todo-ui) on every admin route", async () => {
    for (const url of ['/admin/audit', '/admin/users', '/admin/todos'])
      expect((await get(h.tokens.admin, url)).statusCode, url).toBe(200);
  });
});

describe('which clients are agents', () => {
  const base = { OIDC_ISSUER: 'http://idp.test/realms/todo-app', OIDC_AUDIENCE: 'todo-api' };
  it("counts the product's own clients, the docs' client and the API's own as none", () => {
    const isAgent = agentClassifier(
      loadConfig({ ...base, OIDC_DOCS_CLIENT_ID: 'todo-docs', OIDC_CLIENT_ID: 'todo-api' }),
    );
    for (const own of ['todo-ui', 'todo-cli', 'todo-docs', 'todo-api', undefined, ''])
      expect(isAgent(own), String(own)).toBe(false);
    expect(isAgent('5d0c3f1e-registered')).toBe(true);
  });
});
