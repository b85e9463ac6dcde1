import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLE_READS_AT_ONCE } from '../src/admin-idp/few-at-once.js';
import { useDevIdp } from './support/dev-idp.js';
import type { Instance } from './support/harness.js';

const ROLE_READ = /^GET \/admin\/realms\/todo-app\/users\/([^/]+)\/role-mappings$/;

/**
 * A relay in front of the dev IdP that counts the role reads (`GET /users/{id}/role-mappings`)
 * under way at once, holding each answer `holdMs` so that reads sent together overlap; the role
 * read of `failRolesOf` is answered 500.
 */
async function countingRelay(target: string) {
  const upstream = new URL(target);
  const state = {
    holdMs: 50,
    failRolesOf: undefined as string | undefined,
    reads: 0,
    underWay: 0,
    mostAtOnce: 0,
  };
  const server: Server = createServer((req, res) => {
    const read = ROLE_READ.exec(`${req.method} ${req.url ?? '/'}`);
    if (read) {
      state.reads += 1;
      state.underWay += 1;
      state.mostAtOnce = Math.max(state.mostAtOnce, state.underWay);
      res.on('close', () => {
        state.underWay -= 1;
      });
      if (read[1] === state.failRolesOf) {
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"unknown_error"}');
        return;
      }
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const relay = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (read) setTimeout(relay, state.holdMs);
        else relay();
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** People of this suite, named alike so that one search finds them all. */
const PEOPLE = Array.from({ length: 100 }, (_, i) => `reads-${String(i).padStart(3, '0')}`);

/**
 * A page of the Admin screen's people reads each person's roles from the identity provider, one
 * call a person: a few at a time, never the whole page at once (each call's deadline then ran
 * while it waited behind all the others, and a busy provider failed the page).
 */
describe('the people of a page have their roles read a few at a time (dev IdP)', () => {
  const suite = useDevIdp('idp-admin-role-reads');
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  let instance: Instance;
  const ids = new Map<string, string>();

  const page = () =>
    instance.app.inject({
      method: 'GET',
      url: '/admin/idp/users?search=reads-',
      headers: { authorization: `Bearer ${suite.adminToken}` },
    });

  beforeAll(async () => {
    relay = await countingRelay(new URL(suite.idp.issuer).origin);
    instance = await suite.instance({
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      IDP_ADMIN_URL: `${relay.url}/admin/realms/todo-app`,
    });
    // Created at the IdP itself, as the API's service account: only the page is under test.
    const kc = new KcAdminClient({
      baseUrl: new URL(suite.idp.issuer).origin,
      realmName: 'todo-app',
    });
    await kc.auth({
      grantType: 'client_credentials',
      clientId: 'todo-api',
      clientSecret: 'todo-api-secret',
    });
    for (const username of PEOPLE) {
      const { id } = await kc.users.create({ username, enabled: true });
      ids.set(username, id);
    }
    const user = (await kc.roles.find()).find((r) => r.name === 'user') ?? {};
    await kc.users.addRealmRoleMappings({
      id: ids.get('reads-042') ?? '',
      roles: [{ id: user.id ?? '', name: 'user' }],
    });
    return () => relay.close();
  }, 120_000);

  it('reads the roles of 100 people a few at once, each person with their own roles', async () => {
    relay.state.reads = 0;
    relay.state.mostAtOnce = 0;
    const res = await page();
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { username: string; realmRoles: string[] }[];
    expect(items.map((u) => u.username)).toEqual(PEOPLE);
    expect(items.filter((u) => u.realmRoles.includes('user')).map((u) => u.username)).toEqual([
      'reads-042',
    ]);
    expect(relay.state.reads).toBe(100);
    // A few at once (each answer is held 50 ms, so reads sent together overlap), never more.
    expect(relay.state.mostAtOnce).toBeGreaterThan(1);
    expect(relay.state.mostAtOnce).toBeLessThanOrEqual(ROLE_READS_AT_ONCE);
  });

  it("reads no more roles once the admin's request is gone (a search replaced the list)", async () => {
    relay.state.reads = 0;
    relay.state.holdMs = 100;
    try {
      const address = await instance.app.listen({ host: '127.0.0.1', port: 0 });
      const leaving = new AbortController();
      const asked = fetch(`${address}/admin/idp/users?search=reads-`, {
        headers: { authorization: `Bearer ${suite.adminToken}` },
        signal: leaving.signal,
      }).then(
        () => 'answered',
        () => 'left',
      );
      await vi.waitFor(() => expect(relay.state.reads).toBeGreaterThan(0));
      leaving.abort();
      expect(await asked).toBe('left');
      // Those under way end; three of their rounds later no other has been sent (the whole
      // page would be 13 rounds of 8).
      await vi.waitFor(() => expect(relay.state.underWay).toBe(0));
      await new Promise((r) => setTimeout(r, 3 * relay.state.holdMs));
      expect(relay.state.reads).toBeLessThanOrEqual(2 * ROLE_READS_AT_ONCE);
    } finally {
      relay.state.holdMs = 50;
    }
  });

  it('fails the page (503) when a role read fails, starting no read after that', async () => {
    relay.state.reads = 0;
    relay.state.failRolesOf = ids.get('reads-010');
    try {
      const res = await page();
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().code).toBe('idp_unavailable');
      // The 11th read fails; the 7 then under way end, and no other is sent.
      expect(relay.state.reads).toBeGreaterThanOrEqual(11);
      expect(relay.state.reads).toBeLessThanOrEqual(11 + ROLE_READS_AT_ONCE);
    } finally {
      relay.state.failRolesOf = undefined;
    }
  });
});
