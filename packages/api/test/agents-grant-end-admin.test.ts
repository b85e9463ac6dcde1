import { admin, alice, bob } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_SECONDS } from '../src/context.js';
import { drivers, postgresDatabase, useTestDatabase } from './support/databases.js';
import {
  type Instance,
  mfaClaims,
  startInstance,
  testConfig,
  useIssuer,
} from './support/harness.js';
import { type FakeKeycloakAdmin, fakeKeycloakAdmin } from './support/keycloak-admin.js';
import { nextMillisecond } from './support/time.js';

const HOLD_SECONDS = 300;

/**
 * docs/mcp.md, "A hold that does not clear": an operator lists the agents whose grant the
 * identity provider has not ended, asks it again now, or releases a hold whose grant is gone at
 * the provider, over HTTP, with step-up, every action audited with its row change; the agent's
 * tokens then stay refused for the hold (5 minutes plus the clock tolerance) on every instance,
 * and no longer.
 */
describe.each(drivers)(
  'the operator and the agent grant ends that do not clear, on $driver',
  (driver) => {
    const { skip } = driver;
    // PostgreSQL with a language's collation, under which text sorts otherwise than by code point.
    const database = useTestDatabase({
      skip,
      create: () =>
        driver.driver === 'postgres' ? postgresDatabase({ icuLocale: 'en-US' }) : driver.create(),
    });
    const idp = useIssuer(skip, { profile: 'keycloak' });
    let provider: FakeKeycloakAdmin;
    const instances: { instance: Instance; url: string }[] = [];
    const offset = { ms: 0 };
    const clock = { now: () => new Date(Date.now() + offset.ms) };
    const nowSec = () => Math.floor(clock.now().getTime() / 1000);

    beforeAll(async () => {
      if (skip) return;
      provider = await fakeKeycloakAdmin();
      const config = testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        IDP_ADMIN_URL: `${provider.url}/admin/realms/todo-app`,
        STEP_UP_ACR: 'mfa',
        STEP_UP_MAX_AGE_SECONDS: '900',
      });
      for (let n = 0; n < 2; n++) {
        // No background retry during the tests: the operator's requests alone ask the provider.
        const instance = await startInstance(config, { clock, agentGrantEndRetryMs: 3_600_000 });
        const url = await instance.app.listen({ port: 0, host: '127.0.0.1' });
        instances.push({ instance, url });
      }
    });
    afterAll(async () => {
      await Promise.all(instances.map(({ instance }) => instance.close()));
      await provider?.close();
    });
    beforeEach(() => {
      if (skip) return;
      provider.state.mode = 'down';
      offset.ms = 0;
    });

    const first = () => instances[0] as { instance: Instance; url: string };
    const second = () => instances[1] as { instance: Instance; url: string };
    const db = () => first().instance.context.db.kysely;

    /** A real HTTP request to `at` (the first instance by default). */
    async function call(
      token: string | undefined,
      method: string,
      path: string,
      body?: unknown,
      at = first(),
    ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
      const res = await fetch(`${at.url}${path}`, {
        method,
        headers: {
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return {
        status: res.status,
        json: text === '' ? {} : JSON.parse(text),
        headers: res.headers,
      };
    }
    const adminToken = () =>
      idp.accessToken(admin, { claims: mfaClaims(nowSec()), issuedAt: nowSec() });
    const agentToken = (clientId: string, issuedAt = nowSec()) =>
      idp.accessToken(alice, { client: clientId, issuedAt });

    /** Alice's agent `clientId` acts, then she ends it while the provider is down: pending. */
    async function pendingAgent(clientId: string): Promise<void> {
      const web = await idp.accessToken(alice, { issuedAt: nowSec() });
      expect((await call(await agentToken(clientId), 'GET', '/todos/')).status).toBe(200);
      for (let n = 0; n < 500; n++) {
        const { json } = await call(web, 'GET', '/me/agents');
        if ((json.items as { clientId: string }[]).some((a) => a.clientId === clientId)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      provider.state.mode = 'down';
      const ended = await call(web, 'DELETE', `/me/agents/${clientId}`);
      expect(ended.json).toMatchObject({ identityProvider: { grantEnded: false } });
      // The person's own attempt is the first one counted, with the provider's reason (no
      // background round runs: they are an hour apart here).
      expect(await row(clientId)).toMatchObject({ attempts: 1, last_error: expect.any(String) });
      expect((await row(clientId))?.last_error).not.toBe('');
    }
    const key = (clientId: string) => ({ issuer: idp.issuer, sub: alice.sub, clientId });
    const row = (clientId: string) =>
      db()
        .selectFrom('agent_grant_ends')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
    const auditOf = (clientId: string) =>
      db()
        .selectFrom('audit_log')
        .select(['action', 'actor_sub', 'resource', 'outcome', 'detail'])
        .where('resource', '=', `client:${clientId}`)
        .where('action', 'like', 'agent.grant_end.%')
        .orderBy('at')
        .execute();
    const metric = async (name: string, at = first()) => {
      const res = await fetch(`${at.url}/metrics`);
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await res.text())?.[1]);
    };
    /** Whether `token` is refused as revoked on both instances (the second within a second). */
    async function refusedEverywhere(token: string): Promise<[boolean, boolean]> {
      const one = await call(token, 'GET', '/todos/');
      let two = await call(token, 'GET', '/todos/', undefined, second());
      const deadline = Date.now() + 1000;
      while (two.status !== one.status && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        two = await call(token, 'GET', '/todos/', undefined, second());
      }
      return [one.json.code === 'token_revoked', two.json.code === 'token_revoked'];
    }

    it.skipIf(skip)(
      'lists the pending ends, oldest first, a page at a time, to an administrator with step-up only',
      async () => {
        await db().deleteFrom('agent_grant_ends').execute();
        const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
        const rows = [
          { issuer: idp.issuer, sub: 'p3', client_id: 'c', requested_at: at(3), attempts: 2 },
          { issuer: idp.issuer, sub: 'p1', client_id: 'b', requested_at: at(1), attempts: 0 },
          { issuer: idp.issuer, sub: 'p1', client_id: 'a', requested_at: at(1), attempts: 0 },
          { issuer: idp.issuer, sub: 'p0', client_id: 'z', requested_at: at(1), attempts: 0 },
          // Ordered by code point on both engines, whatever PostgreSQL's collation says.
          { issuer: idp.issuer, sub: 'émile', client_id: 'x', requested_at: at(1), attempts: 0 },
          { issuer: idp.issuer, sub: 'Zeta', client_id: 'x', requested_at: at(1), attempts: 0 },
          { issuer: idp.issuer, sub: 'p2', client_id: 'a', requested_at: at(2), attempts: 0 },
        ];
        await db().insertInto('agent_grant_ends').values(rows).execute();
        await db()
          .updateTable('agent_grant_ends')
          .set({ attempted_at: at(4), last_error: 'refused' })
          .where('sub', '=', 'p3')
          .execute();
        const token = await adminToken();
        const seen: unknown[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: string = cursor === null ? '' : `&cursor=${cursor}`;
          const page = await call(token, 'GET', `/admin/agents/grant-ends?limit=2${query}`);
          expect(page.status).toBe(200);
          seen.push(...(page.json.items as unknown[]));
          cursor = page.json.nextCursor as string | null;
          pages++;
        } while (cursor !== null && pages < 10);
        expect(pages).toBe(4);
        expect(
          seen.map((r) => `${(r as { sub: string }).sub}/${(r as { clientId: string }).clientId}`),
        ).toEqual(['Zeta/x', 'p0/z', 'p1/a', 'p1/b', 'émile/x', 'p2/a', 'p3/c']);
        expect(seen[6]).toEqual({
          issuer: idp.issuer,
          sub: 'p3',
          clientId: 'c',
          requestedAt: at(3),
          attempts: 2,
          attemptedAt: at(4),
          lastError: 'refused',
        });
        expect(seen[0]).toMatchObject({ attempts: 0, attemptedAt: null, lastError: null });

        // The paging limits and cursors of /admin/audit: a cursor not issued here is a 400.
        for (const query of ['limit=0', 'limit=101', 'cursor=bm90LWEtY3Vyc29y', 'cursor=WyJ4Il0']) {
          const bad = await call(token, 'GET', `/admin/agents/grant-ends?${query}`);
          expect(bad.status, query).toBe(400);
          expect(bad.json, query).toMatchObject({ code: 'validation_failed' });
        }
        // Step-up (docs/step-up.md) and the admin role, as on every /admin route.
        const weak = await idp.accessToken(admin, {
          claims: { acr: 'pwd', auth_time: nowSec() },
          issuedAt: nowSec(),
        });
        const tooWeak = await call(weak, 'GET', '/admin/agents/grant-ends');
        expect(tooWeak.status).toBe(401);
        expect(tooWeak.json).toMatchObject({ code: 'authentication_too_weak' });
        const notAdmin = await idp.accessToken(bob, { claims: mfaClaims(nowSec()) });
        expect((await call(notAdmin, 'GET', '/admin/agents/grant-ends')).status).toBe(403);
        expect((await call(undefined, 'GET', '/admin/agents/grant-ends')).status).toBe(401);
        await db().deleteFrom('agent_grant_ends').execute();
      },
      30_000,
    );

    it.skipIf(skip)(
      'retries now: a refusal answers the provider’s reason and keeps the row, an outage is 503, success ends the hold after 5 minutes on every instance',
      async () => {
        await pendingAgent('retry-agent');
        const token = await adminToken();
        // A background round so the gauges show the hold.
        await first().instance.context.agentGrantEnds.retry();
        expect(await metric('agent_grant_ends_pending')).toBe(1);
        const before = Number((await row('retry-agent'))?.attempts);

        provider.state.mode = 'refuse';
        const refused = await call(
          token,
          'POST',
          '/admin/agents/grant-ends/retry',
          key('retry-agent'),
        );
        expect(refused.status).toBe(502);
        expect(refused.json).toMatchObject({
          code: 'idp_refused',
          detail: expect.stringMatching(/manage-users/),
        });
        expect(await row('retry-agent')).toMatchObject({
          attempts: before + 1,
          last_error: refused.json.detail,
        });

        // A 400 from the provider is its refusal, not a fault in the operator's body. (Each
        // audited call in a millisecond of its own: records of one millisecond are in id order.)
        await nextMillisecond();
        provider.state.mode = 'bad';
        const bad = await call(token, 'POST', '/admin/agents/grant-ends/retry', key('retry-agent'));
        expect(bad.status).toBe(502);
        expect(bad.json).toMatchObject({ code: 'idp_refused' });

        await nextMillisecond();
        provider.state.mode = 'down';
        const down = await call(
          token,
          'POST',
          '/admin/agents/grant-ends/retry',
          key('retry-agent'),
        );
        expect(down.status).toBe(503);
        expect(down.json).toMatchObject({ code: 'idp_unavailable' });
        expect(Number((await row('retry-agent'))?.attempts)).toBe(before + 3);

        // A minute later, so the hold it settles is later than any held before: an instance that
        // did not learn of it would accept a token the settled hold refuses.
        offset.ms = 60_000;
        provider.state.mode = 'ok';
        const ended = await call(
          token,
          'POST',
          '/admin/agents/grant-ends/retry',
          key('retry-agent'),
        );
        expect(ended.status).toBe(200);
        expect(ended.json).toMatchObject({ ...key('retry-agent'), outcome: 'ended' });
        expect(provider.state.ended).toContain(`${alice.sub} retry-agent`);
        expect(await row('retry-agent')).toBeUndefined();
        expect(await metric('agent_grant_ends_pending')).toBe(0);
        expect(await metric('agent_grant_end_oldest_seconds')).toBe(0);

        // Who did what to which agent, each with its row change.
        const audit = await auditOf('retry-agent');
        expect(audit).toEqual(
          ['provider_refused', 'provider_refused', 'provider_unavailable', 'ended'].map(
            (outcome) => ({
              action: 'agent.grant_end.retry',
              actor_sub: admin.sub,
              resource: 'client:retry-agent',
              outcome: 'success',
              detail: expect.stringContaining(`"outcome":"${outcome}"`),
            }),
          ),
        );
        expect(JSON.parse(audit[0]?.detail ?? '{}')).toMatchObject({
          issuer: idp.issuer,
          sub: alice.sub,
          reason: refused.json.detail,
        });

        await holdRunsOut(String(ended.json.refusedUntil), 'retry-agent');
      },
      30_000,
    );

    /**
     * The refusal after the end of a hold: 5 minutes after it (plus the clock tolerance), moved
     * forward by nothing, the same on both instances; a background round changes nothing.
     */
    async function holdRunsOut(refusedUntil: string, clientId: string) {
      const until = Date.parse(refusedUntil);
      expect(until - clock.now().getTime()).toBeGreaterThan((HOLD_SECONDS - 5) * 1000);
      expect(until - clock.now().getTime()).toBeLessThanOrEqual(HOLD_SECONDS * 1000);
      await Promise.all(instances.map(({ instance }) => instance.context.agentGrantEnds.retry()));
      const inside = await agentToken(
        clientId,
        Math.floor(until / 1000) + CLOCK_TOLERANCE_SECONDS - 5,
      );
      offset.ms = until + (CLOCK_TOLERANCE_SECONDS + 10) * 1000 - Date.now();
      expect(await refusedEverywhere(inside)).toEqual([true, true]);
      const after = await agentToken(
        clientId,
        Math.floor(until / 1000) + CLOCK_TOLERANCE_SECONDS + 2,
      );
      expect(await refusedEverywhere(after)).toEqual([false, false]);
      expect((await call(after, 'GET', '/todos/', undefined, second())).status).toBe(200);
    }

    it.skipIf(skip)(
      'releases only when the provider ends the grant or the operator confirms it is gone there',
      async () => {
        await pendingAgent('release-agent');
        const token = await adminToken();
        const path = '/admin/agents/grant-ends/release';

        provider.state.mode = 'refuse';
        const conflict = await call(token, 'POST', path, key('release-agent'));
        expect(conflict.status).toBe(409);
        expect(conflict.json).toMatchObject({
          code: 'conflict',
          detail: expect.stringContaining('"confirm": "ended-at-provider"'),
        });
        await nextMillisecond();
        provider.state.mode = 'down';
        const down = await call(token, 'POST', path, key('release-agent'));
        expect(down.status).toBe(503);
        expect(down.json).toMatchObject({ code: 'idp_unavailable' });
        // The person's own attempt, then the two above.
        expect(await row('release-agent')).toMatchObject({ attempts: 3 });
        // Still refused meanwhile.
        const meanwhile = await agentToken('release-agent', nowSec() + 60);
        offset.ms = 120_000;
        expect(await refusedEverywhere(meanwhile)).toEqual([true, true]);
        offset.ms = 60_000;

        await nextMillisecond();
        provider.state.mode = 'refuse';
        const released = await call(token, 'POST', path, {
          ...key('release-agent'),
          confirm: 'ended-at-provider',
        });
        expect(released.status).toBe(200);
        expect(released.json).toMatchObject({
          ...key('release-agent'),
          outcome: 'released',
          detail: expect.stringMatching(/manage-users/),
        });
        expect(await row('release-agent')).toBeUndefined();
        expect(await metric('agent_grant_ends_pending')).toBe(0);
        const audit = await auditOf('release-agent');
        expect(
          audit.map((r) => [r.action, r.actor_sub, JSON.parse(r.detail ?? '{}').outcome]),
        ).toEqual([
          ['agent.grant_end.release', admin.sub, 'provider_refused'],
          ['agent.grant_end.release', admin.sub, 'provider_unavailable'],
          ['agent.grant_end.release', admin.sub, 'released'],
        ]);
        // Released once: a second release finds nothing.
        const again = await call(token, 'POST', path, {
          ...key('release-agent'),
          confirm: 'ended-at-provider',
        });
        expect(again.status).toBe(404);
        expect(again.json).toMatchObject({ code: 'not_found' });

        await holdRunsOut(String(released.json.refusedUntil), 'release-agent');
      },
      30_000,
    );

    it.skipIf(skip)(
      'releases without a confirmation when the provider holds no grant any more',
      async () => {
        await pendingAgent('gone-agent');
        provider.state.mode = 'gone';
        const released = await call(
          await adminToken(),
          'POST',
          '/admin/agents/grant-ends/release',
          key('gone-agent'),
        );
        expect(released.status).toBe(200);
        expect(released.json).toMatchObject({ outcome: 'no_grant' });
        expect(await row('gone-agent')).toBeUndefined();
      },
    );

    it.skipIf(skip)(
      'settles a hold once when two operators retry and release it at the same time, on two instances',
      async () => {
        await pendingAgent('race-agent');
        const [one, two] = [await adminToken(), await adminToken()];
        // Both operators' calls reach the provider before either answers.
        provider.state.mode = 'hang';
        const hung = provider.state.hung.length;
        const retry = call(one, 'POST', '/admin/agents/grant-ends/retry', key('race-agent'));
        const release = call(
          two,
          'POST',
          '/admin/agents/grant-ends/release',
          { ...key('race-agent'), confirm: 'ended-at-provider' },
          second(),
        );
        for (let n = 0; n < 500 && provider.state.hung.length < hung + 2; n++)
          await new Promise((r) => setTimeout(r, 10));
        expect(provider.state.hung.length).toBe(hung + 2);
        offset.ms = 60_000;
        for (const res of provider.state.hung.splice(hung)) res.writeHead(204).end();
        const answers = await Promise.all([retry, release]);
        // One of them settled the hold; the other finds nothing left to settle.
        expect(answers.map((a) => a.status).sort()).toEqual([200, 404]);
        const settled = answers.find((a) => a.status === 200);
        expect(answers.find((a) => a.status === 404)?.json).toMatchObject({ code: 'not_found' });
        expect(await row('race-agent')).toBeUndefined();
        // One audit record of one settlement, and the refusal it answered is the one stored.
        const audit = await auditOf('race-agent');
        expect(audit).toHaveLength(1);
        expect(JSON.parse(audit[0]?.detail ?? '{}')).toMatchObject({ outcome: 'ended' });
        const stored = await db()
          .selectFrom('revocations')
          .select(['not_before'])
          .where('kind', '=', 'client')
          .where('value', '=', JSON.stringify([alice.sub, 'race-agent']))
          .executeTakeFirst();
        // (Stored to the second, as the tokens' `iat` is.)
        const seconds = (at: unknown) => Math.floor(new Date(String(at)).getTime() / 1000);
        expect(seconds(stored?.not_before)).toBe(seconds(settled?.json.refusedUntil));
      },
      30_000,
    );

    it.skipIf(skip)(
      'answers a retry the provider refuses 404, recording nothing, when another operator released the hold meanwhile',
      async () => {
        await pendingAgent('late-agent');
        const token = await adminToken();
        provider.state.mode = 'hang';
        const hung = provider.state.hung.length;
        const waitHung = async (n: number) => {
          for (let i = 0; i < 500 && provider.state.hung.length < hung + n; i++)
            await new Promise((r) => setTimeout(r, 10));
          expect(provider.state.hung.length).toBe(hung + n);
        };
        // One operator retries; while the provider has not answered, another releases.
        const retry = call(token, 'POST', '/admin/agents/grant-ends/retry', key('late-agent'));
        await waitHung(1);
        const release = call(
          token,
          'POST',
          '/admin/agents/grant-ends/release',
          { ...key('late-agent'), confirm: 'ended-at-provider' },
          second(),
        );
        await waitHung(2);
        const [first, later] = provider.state.hung.splice(hung);
        const refuse = (res: typeof first) =>
          res
            ?.writeHead(403, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 'HTTP 403 Forbidden' }));
        // The release is refused by the provider, and released on the operator's word.
        refuse(later);
        expect(await release).toMatchObject({ status: 200, json: { outcome: 'released' } });
        // Then the provider refuses the retry: there is no hold left to keep.
        refuse(first);
        const late = await retry;
        expect(late.status).toBe(404);
        expect(late.json).toMatchObject({ code: 'not_found' });
        expect(await row('late-agent')).toBeUndefined();
        const audit = await auditOf('late-agent');
        expect(audit.map((r) => [r.action, JSON.parse(r.detail ?? '{}').outcome])).toEqual([
          ['agent.grant_end.release', 'released'],
        ]);
      },
      30_000,
    );

    it.skipIf(skip)(
      'answers 501 to a retry for an issuer whose admin API the API does not reach, and releases it only on confirmation',
      async () => {
        // IDP_ADMIN_URL points at another issuer than the one the grant is at.
        const elsewhere = {
          issuer: 'https://elsewhere.example/realms/gone',
          sub: alice.sub,
          clientId: 'moved-agent',
        };
        await db()
          .insertInto('agent_grant_ends')
          .values({
            issuer: elsewhere.issuer,
            sub: elsewhere.sub,
            client_id: elsewhere.clientId,
            requested_at: clock.now().toISOString(),
            attempts: 0,
          })
          .execute();
        const token = await adminToken();
        const calls = provider.state.calls;
        const retry = await call(token, 'POST', '/admin/agents/grant-ends/retry', elsewhere);
        expect(retry.status).toBe(501);
        expect(retry.json).toMatchObject({
          code: 'not_implemented',
          detail: expect.stringContaining(elsewhere.issuer),
        });
        const path = '/admin/agents/grant-ends/release';
        expect((await call(token, 'POST', path, elsewhere)).status).toBe(409);
        const kept = await db()
          .selectFrom('agent_grant_ends')
          .selectAll()
          .where('issuer', '=', elsewhere.issuer)
          .executeTakeFirst();
        expect(kept).toMatchObject({ attempts: 2, last_error: retry.json.detail });
        const released = await call(token, 'POST', path, {
          ...elsewhere,
          confirm: 'ended-at-provider',
        });
        expect(released.status).toBe(200);
        expect(released.json).toMatchObject({ ...elsewhere, outcome: 'released' });
        // The provider the API reaches was never asked about another issuer's grant.
        expect(provider.state.calls).toBe(calls);
      },
    );

    it.skipIf(skip)(
      'refuses unknown rows (404), bad input (400) and callers without step-up, changing nothing',
      async () => {
        await pendingAgent('kept-agent');
        const token = await adminToken();
        const attempts = () => row('kept-agent').then((r) => Number(r?.attempts));
        const before = await attempts();
        const calls = provider.state.calls;
        for (const action of ['retry', 'release']) {
          const path = `/admin/agents/grant-ends/${action}`;
          const unknown = await call(token, 'POST', path, {
            ...key('kept-agent'),
            sub: 'someone-else',
          });
          expect(unknown.status, action).toBe(404);
          expect(unknown.json, action).toMatchObject({ code: 'not_found' });
          for (const body of [
            {},
            { issuer: idp.issuer, sub: alice.sub },
            { ...key('kept-agent'), clientId: '' },
            { ...key('kept-agent'), extra: true },
            { ...key('kept-agent'), confirm: action === 'retry' ? 'ended-at-provider' : 'yes' },
            { ...key('kept-agent'), sub: 'a\u0000b' },
          ]) {
            const bad = await call(token, 'POST', path, body);
            expect(bad.status, `${action} ${JSON.stringify(body)}`).toBe(400);
            expect(bad.json).toMatchObject({
              code: 'validation_failed',
              errors: expect.any(Array),
            });
          }
          const weak = await idp.accessToken(admin, {
            claims: { acr: 'pwd', auth_time: nowSec() },
            issuedAt: nowSec(),
          });
          const tooWeak = await call(weak, 'POST', path, key('kept-agent'));
          expect(tooWeak.status).toBe(401);
          expect(tooWeak.headers.get('www-authenticate')).toMatch(
            /insufficient_user_authentication/,
          );
          const notAdmin = await idp.accessToken(bob, { claims: mfaClaims(nowSec()) });
          expect((await call(notAdmin, 'POST', path, key('kept-agent'))).status).toBe(403);
        }
        expect(provider.state.calls).toBe(calls);
        expect(await attempts()).toBe(before);
        expect(await auditOf('kept-agent')).toEqual([]);
      },
      30_000,
    );

    it.skipIf(skip)(
      'writes nothing when the audit record cannot be written: the row, the refusal and the attempts stay',
      async () => {
        await pendingAgent('audit-agent');
        const token = await adminToken();
        const k = db();
        const stored = () =>
          k
            .selectFrom('revocations')
            .select(['not_before'])
            .where('kind', '=', 'client')
            .where('value', '=', JSON.stringify([alice.sub, 'audit-agent']))
            .executeTakeFirst()
            .then((r) => r && new Date(r.not_before).toISOString());
        const [rowBefore, holdBefore] = [await row('audit-agent'), await stored()];
        expect(holdBefore).toEqual(expect.any(String));
        // The database refuses every audit insert (a trigger), after the row change was made
        // in the same transaction.
        if (driver.driver === 'sqlite')
          await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit refused'); END`.execute(k);
        else {
          await sql`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`.execute(k);
          await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION refuse_audit()`.execute(k);
        }
        try {
          offset.ms = 60_000;
          for (const [mode, action, confirm] of [
            ['ok', 'retry', undefined],
            ['refuse', 'retry', undefined],
            ['refuse', 'release', undefined],
            ['refuse', 'release', 'ended-at-provider'],
          ] as const) {
            provider.state.mode = mode;
            const res = await call(token, 'POST', `/admin/agents/grant-ends/${action}`, {
              ...key('audit-agent'),
              ...(confirm && { confirm }),
            });
            expect(res.status, `${mode} ${action} ${confirm}`).toBe(500);
            expect(await row('audit-agent')).toEqual(rowBefore);
            expect(await stored()).toBe(holdBefore);
          }
        } finally {
          if (driver.driver === 'sqlite') await sql`DROP TRIGGER refuse_audit`.execute(k);
          else {
            await sql`DROP TRIGGER refuse_audit ON audit_log`.execute(k);
            await sql`DROP FUNCTION refuse_audit()`.execute(k);
          }
        }
        // Allowed again, the same release succeeds with its record.
        provider.state.mode = 'gone';
        const released = await call(
          token,
          'POST',
          '/admin/agents/grant-ends/release',
          key('audit-agent'),
        );
        expect(released.status).toBe(200);
        expect(await row('audit-agent')).toBeUndefined();
        expect(await auditOf('audit-agent')).toHaveLength(1);
      },
      30_000,
    );
  },
);
