import { performance } from 'node:perf_hooks';
import { alice, bob } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { type Instance, useHarness, useInstances, useIssuer } from './support/harness.js';

const AGENT = 'shopping-agent';

/**
 * The agents a person allowed, as the API sees them (`azp` other than the product's own
 * clients), and ending one through the revocation path: its tokens issued until then are
 * refused everywhere, the person's other clients and other people are not affected.
 */
describe.each(drivers)('agents of a person on $driver', (driver) => {
  const h = useHarness(driver);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = (token: string, method: 'GET' | 'DELETE', url: string) =>
    h.app.inject({ method, url, headers: bearer(token) });
  /** Alice's agents as the web app (todo-ui) sees them. */
  const agentsOfAlice = async () =>
    (await h.as('alice', { method: 'GET', url: '/me/agents' })).json();
  /** Waits for the use an agent's call records after its response. */
  async function listedSoon(clientId: string) {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const found = (await agentsOfAlice()).items.find(
        (a: { clientId: string }) => a.clientId === clientId,
      );
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    return undefined;
  }

  it.skipIf(driver.skip)(
    "lists an agent that called the API for alice, not her web app's nor bob's agents",
    async () => {
      const token = await h.idp.accessToken(alice, { client: AGENT });
      expect((await call(token, 'GET', '/todos/')).statusCode).toBe(200);
      const bobs = await h.idp.accessToken(bob, { client: 'bobs-agent' });
      expect((await call(bobs, 'GET', '/todos/')).statusCode).toBe(200);
      const listed = await listedSoon(AGENT);
      expect(listed).toEqual({
        clientId: AGENT,
        firstUsedAt: expect.any(String),
        lastUsedAt: expect.any(String),
      });
      const ids = (await agentsOfAlice()).items.map((a: { clientId: string }) => a.clientId);
      expect(ids).not.toContain('todo-ui');
      expect(ids).not.toContain('bobs-agent');
    },
    30_000,
  );

  it.skipIf(driver.skip)(
    'writes the last use at most once a minute: later calls in the minute leave it',
    async () => {
      const token = await h.idp.accessToken(alice, { client: 'busy-agent' });
      await call(token, 'GET', '/todos/');
      const first = await listedSoon('busy-agent');
      for (let i = 0; i < 5; i++) await call(token, 'GET', '/todos/');
      await new Promise((r) => setTimeout(r, 50));
      expect(await listedSoon('busy-agent')).toEqual(first);
      h.setClockOffset(61_000);
      try {
        await call(token, 'GET', '/todos/');
        // The write follows the response: wait for it (generously, for a loaded machine).
        let moved = first;
        const deadline = Date.now() + 10_000;
        while (moved.lastUsedAt === first.lastUsedAt && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          moved = await listedSoon('busy-agent');
        }
        expect(Date.parse(moved.lastUsedAt) - Date.parse(first.lastUsedAt)).toBeGreaterThan(60_000);
        expect(moved.firstUsedAt).toBe(first.firstUsedAt);
      } finally {
        h.setClockOffset(0);
      }
    },
    30_000,
  );

  it.skipIf(driver.skip)(
    'records no use of an agent whose request was refused for its sender constraint (RFC 9449 §7)',
    async () => {
      // A DPoP-bound token (cnf.jkt) presented without its proof, as a stolen token would be:
      // refused, with or without a cached principal.
      const bound = await h.idp.accessToken(alice, {
        client: 'keyless-agent',
        claims: { cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' } },
      });
      for (let i = 0; i < 2; i++) {
        const refused = await call(bound, 'GET', '/todos/');
        expect(refused.statusCode).toBe(401);
        expect(refused.json()).toMatchObject({ code: 'token_binding_mismatch' });
      }
      // A use recorded after the refusals: by then theirs would have been written too.
      const witness = await h.idp.accessToken(alice, { client: 'witness-agent' });
      expect((await call(witness, 'GET', '/todos/')).statusCode).toBe(200);
      await listedSoon('witness-agent');
      await new Promise((r) => setTimeout(r, 100));
      const ids = (await agentsOfAlice()).items.map((a: { clientId: string }) => a.clientId);
      expect(ids).toContain('witness-agent');
      expect(ids).not.toContain('keyless-agent');
    },
    30_000,
  );

  it.skipIf(driver.skip)(
    'refuses an agent listing or ending agents (403) as every first-party route does, audited',
    async () => {
      const token = await h.idp.accessToken(alice, { client: AGENT });
      const admin = await call(token, 'GET', '/admin/audit');
      for (const [method, url] of [
        ['GET', '/me/agents'],
        ['DELETE', `/me/agents/${AGENT}`],
      ] as const) {
        const res = await call(token, method, url);
        expect(res.statusCode, url).toBe(403);
        expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
        // The authorization core's agent refusal (reason agent_not_allowed), as on /admin/:
        // RFC 6750 §3.1 insufficient_scope without a scope, which no agent could ask for.
        expect(res.headers['www-authenticate'], url).toBe(admin.headers['www-authenticate']);
        expect(res.headers['www-authenticate'], url).toMatch(
          /^Bearer realm="todo-api", error="insufficient_scope", error_description="Agents cannot do this/,
        );
        expect(res.headers['www-authenticate'], url).not.toMatch(/scope="/);
        expect(res.json(), url).toMatchObject({ status: 403, code: 'forbidden' });
        expect(res.json().detail, url).toBe(admin.json().detail);
      }
      const audit = await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' });
      const denials = audit
        .json()
        .items.filter(
          (e: { actorSub: string; outcome: string }) =>
            e.actorSub === alice.sub && e.outcome === 'denied',
        )
        .map((e: { action: string }) => e.action);
      expect(denials).toEqual(
        expect.arrayContaining(['GET /me/agents', 'DELETE /me/agents/:clientId']),
      );
    },
  );

  it.skipIf(driver.skip)('answers 404 for an agent that never acted for the caller', async () => {
    const res = await h.as('alice', { method: 'DELETE', url: '/me/agents/bobs-agent' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found' });
  });

  it.skipIf(driver.skip)(
    "ends an agent: its tokens are refused, alice's other clients and bob's use of it are not, and it is audited",
    async () => {
      const agentToken = await h.idp.accessToken(alice, { client: AGENT });
      const otherAgent = await h.idp.accessToken(alice, { client: 'calendar-agent' });
      const bobsUse = await h.idp.accessToken(bob, { client: AGENT });
      for (const t of [agentToken, otherAgent, bobsUse])
        expect((await call(t, 'GET', '/todos/')).statusCode).toBe(200);
      await listedSoon(AGENT);

      const res = await h.as('alice', { method: 'DELETE', url: `/me/agents/${AGENT}` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        clientId: AGENT,
        notBefore: expect.any(String),
        // The test issuer has no admin API: said so, never a silent pass.
        identityProvider: { grantEnded: false, detail: expect.stringMatching(/not ended/) },
      });
      const refused = await call(agentToken, 'GET', '/todos/');
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'token_revoked' });
      expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect((await call(otherAgent, 'GET', '/todos/')).statusCode).toBe(200);
      expect((await call(bobsUse, 'GET', '/todos/')).statusCode).toBe(200);
      expect((await h.as('alice', { method: 'GET', url: '/todos/' })).statusCode).toBe(200);
      const ids = (await agentsOfAlice()).items.map((a: { clientId: string }) => a.clientId);
      expect(ids).not.toContain(AGENT);

      const audit = await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' });
      expect(audit.json().items).toContainEqual(
        expect.objectContaining({
          action: 'agent.revoke',
          resource: `client:${AGENT}`,
          actorSub: alice.sub,
          outcome: 'success',
        }),
      );
    },
  );

  it.skipIf(driver.skip)(
    'accepts the agent again once alice allows it anew (a token issued after the revocation)',
    async () => {
      // The revocation refuses tokens issued up to it plus the 30 s clock tolerance.
      h.setClockOffset(60_000);
      try {
        const later = await h.idp.accessToken(alice, {
          client: AGENT,
          issuedAt: Math.floor(Date.now() / 1000) + 45,
        });
        expect((await call(later, 'GET', '/todos/')).statusCode).toBe(200);
        const before = await h.idp.accessToken(alice, {
          client: AGENT,
          issuedAt: Math.floor(Date.now() / 1000) - 5,
        });
        expect((await call(before, 'GET', '/todos/')).statusCode).toBe(401);
      } finally {
        h.setClockOffset(0);
      }
    },
  );
});

describe.each(drivers)(
  "an agent's revocation reaches every instance on one $driver database",
  ({ driver, skip, create }) => {
    const database = useTestDatabase({ skip, create });
    const idp = useIssuer(skip, { profile: 'keycloak' });
    const instances = useInstances(skip, idp, database, 2);
    const get = (instance: Instance, token: string, url: string) =>
      instance.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

    it.skipIf(skip)(
      'refuses the agent on the other instance within 1 s of ending it on the first',
      async () => {
        const [first, second] = instances as [Instance, Instance];
        const agent = await idp.accessToken(alice, { client: `propagated-${driver}` });
        const web = await idp.accessToken(alice);
        // Both instances have verified (and cached) the agent's token.
        for (const i of instances) expect((await get(i, agent, '/todos/')).statusCode).toBe(200);
        for (let n = 0; n < 100; n++) {
          const items = (await get(first, web, '/me/agents')).json().items as unknown[];
          if (items.length > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        const started = performance.now();
        const ended = await first.app.inject({
          method: 'DELETE',
          url: `/me/agents/propagated-${driver}`,
          headers: { authorization: `Bearer ${web}` },
        });
        expect(ended.statusCode).toBe(200);
        let refusedAfter = Number.POSITIVE_INFINITY;
        while (performance.now() - started < 2000) {
          const res = await get(second, agent, '/todos/');
          if (res.statusCode === 401) {
            expect(res.json()).toMatchObject({ code: 'token_revoked' });
            refusedAfter = performance.now() - started;
            break;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        console.log(
          `[agent revocation, ${driver}] refused on the second instance after ${refusedAfter.toFixed(1)} ms (limit 1000 ms)`,
        );
        expect(refusedAfter).toBeLessThan(1000);
        expect((await get(second, web, '/todos/')).statusCode).toBe(200);
      },
    );
  },
);
