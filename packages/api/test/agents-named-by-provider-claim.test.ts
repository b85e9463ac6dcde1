import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/**
 * A generic provider may name a token's client only under its own claim: Okta's `cid` (with
 * `scp`), Microsoft Entra ID v1's `appid`; there is no `azp` or `client_id`. Those tokens are
 * access tokens (RFC 9068 §2.2 names the client `client_id`), so the client they name is the
 * token's client: the app's own client reaches its first-party routes, and an agent (an AI
 * assistant's client) is listed for the person and can be ended by them. Before, such an agent
 * was never listed, so the person could not end it, and its tokens were not refused after.
 */
describe('a generic provider naming the client by cid or appid', () => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let api: Instance;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'generic', algorithm: 'ES256' });
    database = sqliteDatabase();
    api = await startInstance(testConfig(idp, database.config, { OIDC_PROVIDER: 'generic' }));
  });
  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  /** An access token whose client is named by `claim` only. */
  const token = (claim: 'cid' | 'appid', client: string) =>
    idp.accessToken(alice, {
      header: { typ: 'JWT' },
      claims: { azp: undefined, client_id: undefined, [claim]: client, scp: ['todos'] },
    });
  const call = (bearer: string, method: 'GET' | 'DELETE', url: string) =>
    api.app.inject({ method, url, headers: { authorization: `Bearer ${bearer}` } });

  it.each(['cid', 'appid'] as const)(
    'by %s: lists the agent for the person, who ends it, and its token is refused after',
    async (claim) => {
      const agent = `assistant-${claim}`;
      const own = await token(claim, 'todo-ui');
      const agentToken = await token(claim, agent);
      expect((await call(agentToken, 'GET', '/todos/')).statusCode).toBe(200);
      // The agent's use is written after its response.
      let listed: string[] = [];
      const deadline = Date.now() + 10_000;
      while (!listed.includes(agent) && Date.now() < deadline) {
        const res = await call(own, 'GET', '/me/agents');
        expect(res.statusCode, res.body).toBe(200);
        listed = res.json<{ items: { clientId: string }[] }>().items.map((a) => a.clientId);
        if (!listed.includes(agent)) await new Promise((r) => setTimeout(r, 20));
      }
      expect(listed).toEqual([agent]);
      const ended = await call(own, 'DELETE', `/me/agents/${agent}`);
      expect(ended.statusCode, ended.body).toBe(200);
      const refused = await call(agentToken, 'GET', '/todos/');
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'token_revoked' });
      expect((await call(own, 'GET', '/todos/')).statusCode).toBe(200);
    },
    30_000,
  );

  it('refuses a token naming one client by azp and another by cid or appid', async () => {
    for (const claim of ['cid', 'appid'] as const) {
      const both = await idp.accessToken(alice, {
        claims: { azp: 'todo-ui', client_id: undefined, [claim]: 'assistant-x' },
      });
      const res = await call(both, 'GET', '/todos/');
      expect(res.statusCode, claim).toBe(401);
      expect(res.json(), claim).toMatchObject({ code: 'token_malformed' });
    }
  });
});
