import { alice } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_END_MAX_BACKOFF_MS } from '../src/agents/grant-end-backoff.js';
import { GRANT_END_HOLD_MS } from '../src/agents/grant-ends.js';
import { CLOCK_TOLERANCE_SECONDS } from '../src/context.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig, useIssuer } from './support/harness.js';
import { type FakeKeycloakAdmin, fakeKeycloakAdmin } from './support/keycloak-admin.js';

/**
 * Ending an agent whose grant the identity provider cannot end (its admin API unreachable): the
 * person is told so, and the API refuses every token of the agent from then on, a token the
 * agent obtains later with its still valid refresh token included, on every instance and after
 * a restart, while it keeps asking the provider; once the provider ended the grant, the agent
 * can be allowed again.
 */
describe.each(drivers)('an agent whose grant the provider cannot end, on $driver', (driver) => {
  const { skip } = driver;
  const database = useTestDatabase(driver);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let admin: FakeKeycloakAdmin;
  const instances: Instance[] = [];
  /** The instances' clock, ahead of the real one by `offset.ms`. */
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };
  const nowSec = () => Math.floor(clock.now().getTime() / 1000);
  const start = () =>
    startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        IDP_ADMIN_URL: `${admin.url}/admin/realms/todo-app`,
      }),
      { clock, agentGrantEndRetryMs: 100 },
    );

  beforeAll(async () => {
    if (skip) return;
    admin = await fakeKeycloakAdmin();
    instances.push(await start(), await start());
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await admin?.close();
  });

  const get = (instance: Instance, token: string, url: string) =>
    instance.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const agentToken = (issuedAt: number) =>
    idp.accessToken(alice, { client: 'planner-agent', issuedAt });

  it.skipIf(skip)(
    'refuses its tokens, later ones too, everywhere and after a restart, until the provider ends the grant',
    async () => {
      const [first, second] = instances as [Instance, Instance];
      const web = await idp.accessToken(alice);
      expect((await get(first, await agentToken(nowSec()), '/todos/')).statusCode).toBe(200);
      for (let n = 0; n < 500; n++) {
        const { items } = (await get(first, web, '/me/agents')).json() as { items: unknown[] };
        if (items.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const ended = await first.app.inject({
        method: 'DELETE',
        url: '/me/agents/planner-agent',
        headers: { authorization: `Bearer ${web}` },
      });
      // The person's end is final at the API, and the answer says what is left to do.
      expect(ended.statusCode).toBe(200);
      expect(ended.json()).toMatchObject({
        clientId: 'planner-agent',
        identityProvider: { grantEnded: false, detail: expect.stringMatching(/keeps asking/) },
      });

      // A token the agent obtains later from its refresh token, beyond the clock tolerance of
      // the revocation: refused on both instances (the other within a second).
      offset.ms = (CLOCK_TOLERANCE_SECONDS + 30) * 1000;
      const later = await agentToken(nowSec() - 5);
      expect((await get(first, later, '/todos/')).json()).toMatchObject({
        code: 'token_revoked',
      });
      const deadline = Date.now() + 1000;
      let onSecond = await get(second, later, '/todos/');
      while (onSecond.statusCode !== 401 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        onSecond = await get(second, later, '/todos/');
      }
      expect(onSecond.json()).toMatchObject({ code: 'token_revoked' });
      expect((await get(first, web, '/todos/')).statusCode).toBe(200);

      // Every instance stops; the clock moves past any refusal they held; a new one starts
      // from what is stored and refuses the agent before it serves.
      await Promise.all(instances.splice(0).map((i) => i.close()));
      offset.ms += GRANT_END_HOLD_MS + 60_000;
      const restarted = await start();
      instances.push(restarted);
      const afterRestart = await agentToken(nowSec() - 5);
      expect((await get(restarted, afterRestart, '/todos/')).json()).toMatchObject({
        code: 'token_revoked',
      });

      // The provider comes back: the retries end the grant, and, the refusal's hold over,
      // the agent the person allows again is accepted.
      admin.state.mode = 'ok';
      // However far the retries have backed off, the next one is due.
      offset.ms += GRANT_END_MAX_BACKOFF_MS;
      const pending = () =>
        restarted.context.db.kysely.selectFrom('agent_grant_ends').select('client_id').execute();
      for (let n = 0; n < 500 && (await pending()).length > 0; n++)
        await new Promise((r) => setTimeout(r, 10));
      expect(await pending()).toEqual([]);
      expect(admin.state.ended).toContain(`${alice.sub} planner-agent`);
      offset.ms += GRANT_END_HOLD_MS + (CLOCK_TOLERANCE_SECONDS + 5) * 1000;
      const allowedAgain = await agentToken(nowSec() - 2);
      expect((await get(restarted, allowedAgain, '/todos/')).statusCode).toBe(200);
    },
    30_000,
  );
});

/**
 * A provider that accepts the consent deletion and then stalls (each call up to the admin
 * client's timeout, several per round with many agents pending): the refusal is still moved
 * forward every retry interval, so it never lapses while the round waits on the provider.
 */
describe.each(drivers)('an agent whose grant the provider is slow to end, on $driver', (driver) => {
  const { skip } = driver;
  const database = useTestDatabase(driver);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let admin: FakeKeycloakAdmin;
  let instance: Instance | undefined;
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };
  const nowSec = () => Math.floor(clock.now().getTime() / 1000);

  beforeAll(async () => {
    if (skip) return;
    admin = await fakeKeycloakAdmin();
    instance = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        IDP_ADMIN_URL: `${admin.url}/admin/realms/todo-app`,
      }),
      { clock, agentGrantEndRetryMs: 100 },
    );
  });
  afterAll(async () => {
    await admin?.close();
    await instance?.close();
  });

  const get = (token: string, url: string) =>
    (instance as Instance).app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
    });
  const agentToken = (issuedAt: number) =>
    idp.accessToken(alice, { client: 'planner-agent', issuedAt });

  it.skipIf(skip)(
    'keeps refusing its tokens while a retry waits on the provider',
    async () => {
      const web = await idp.accessToken(alice);
      expect((await get(await agentToken(nowSec()), '/todos/')).statusCode).toBe(200);
      for (let n = 0; n < 500; n++) {
        const { items } = (await get(web, '/me/agents')).json() as { items: unknown[] };
        if (items.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const ended = await (instance as Instance).app.inject({
        method: 'DELETE',
        url: '/me/agents/planner-agent',
        headers: { authorization: `Bearer ${web}` },
      });
      expect(ended.json()).toMatchObject({ identityProvider: { grantEnded: false } });

      // A retry round reaches the provider, which stalls.
      admin.state.mode = 'hang';
      for (let n = 0; n < 500 && admin.state.hung.length === 0; n++)
        await new Promise((r) => setTimeout(r, 10));
      expect(admin.state.hung.length).toBeGreaterThan(0);

      // Past the refusal held so far: the next retry interval holds it again, round or not.
      offset.ms = GRANT_END_HOLD_MS + 60_000;
      const later = await agentToken(nowSec() - 5);
      const deadline = Date.now() + 2000;
      let answer = await get(later, '/todos/');
      while (answer.statusCode === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        answer = await get(later, '/todos/');
      }
      expect(answer.json()).toMatchObject({ code: 'token_revoked' });
      expect(admin.state.hung.length).toBe(1);
    },
    30_000,
  );
});

/**
 * A provider that keeps refusing (here 503 throughout): the agent's tokens stay refused, but the
 * provider is asked less and less often (each wait twice the last, up to an hour), and the row
 * tells an operator how many attempts failed, when the last was made and why.
 */
describe.each(drivers)('an agent whose grant the provider keeps refusing, on $driver', (driver) => {
  const { skip } = driver;
  const database = useTestDatabase(driver);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let admin: FakeKeycloakAdmin;
  let instance: Instance | undefined;
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };
  const nowSec = () => Math.floor(clock.now().getTime() / 1000);

  beforeAll(async () => {
    if (skip) return;
    admin = await fakeKeycloakAdmin();
    instance = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        IDP_ADMIN_URL: `${admin.url}/admin/realms/todo-app`,
      }),
      { clock, agentGrantEndRetryMs: 100 },
    );
  });
  afterAll(async () => {
    await instance?.close();
    await admin?.close();
  });

  const get = (token: string, url: string) =>
    (instance as Instance).app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
    });

  it.skipIf(skip)(
    'backs off its retries (the test fails with one every interval) and records the last failure',
    async () => {
      const web = await idp.accessToken(alice);
      const agent = await idp.accessToken(alice, { client: 'planner-agent', issuedAt: nowSec() });
      expect((await get(agent, '/todos/')).statusCode).toBe(200);
      for (let n = 0; n < 500; n++) {
        const { items } = (await get(web, '/me/agents')).json() as { items: unknown[] };
        if (items.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      // Counted before the person ends the agent: once the row is committed, a background round
      // may ask the provider before the person's own request has been answered.
      const before = admin.state.calls;
      const ended = await (instance as Instance).app.inject({
        method: 'DELETE',
        url: '/me/agents/planner-agent',
        headers: { authorization: `Bearer ${web}` },
      });
      expect(ended.json()).toMatchObject({ identityProvider: { grantEnded: false } });

      // 2 s of 100 ms retry intervals: 20 attempts without backoff, 5 with it
      // (waits of 100, 200, 400, 800 ms after each failure).
      await new Promise((r) => setTimeout(r, 2000));
      // The person's own call and every retry, each recorded in the row. A round records its
      // attempt after the provider answered: one may be between the two (on a loaded machine
      // the fifth attempt comes as late as the end of the 2 s), so the row is read once every
      // call counted so far has been recorded, and the last read is what is checked.
      const readRow = async () => {
        const calls = admin.state.calls - before;
        const [stored] = await (instance as Instance).context.db.kysely
          .selectFrom('agent_grant_ends')
          .selectAll()
          .execute();
        return { calls, stored };
      };
      let read = await readRow();
      for (let n = 0; n < 100 && Number(read.stored?.attempts) !== read.calls; n++) {
        await new Promise((r) => setTimeout(r, 10));
        read = await readRow();
      }
      const { calls: attempts, stored: row } = read;
      expect(attempts).toBeGreaterThanOrEqual(4);
      expect(attempts).toBeLessThanOrEqual(8);
      expect(Number(row?.attempts)).toBe(attempts);
      expect(row?.last_error).toEqual(expect.any(String));
      expect(row?.last_error).not.toBe('');
      expect(new Date(row?.attempted_at ?? 0).getTime()).toBeGreaterThan(Date.now() - 2500);

      // Monitoring sees the hold and its age (public /metrics: counts only, no names).
      const metrics = (await (instance as Instance).app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^agent_grant_ends_pending 1$/m);
      const age = Number(/^agent_grant_end_oldest_seconds (\S+)$/m.exec(metrics)?.[1]);
      expect(age).toBeGreaterThanOrEqual(1.5);
      expect(age).toBeLessThan(10);

      // Its tokens stay refused while the retries wait, later ones included.
      offset.ms = (CLOCK_TOLERANCE_SECONDS + 30) * 1000;
      const later = await idp.accessToken(alice, {
        client: 'planner-agent',
        issuedAt: nowSec() - 5,
      });
      expect((await get(later, '/todos/')).json()).toMatchObject({ code: 'token_revoked' });
    },
    30_000,
  );
});
