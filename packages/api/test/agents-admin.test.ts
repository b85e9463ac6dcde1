import { decide } from '@todo-sso/auth';
import { admin, alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { agentClassifier } from '../src/agents/clients.js';
import { subjectPrincipal } from '../src/authz/app-policy.js';
import { routePolicies } from '../src/authz/catalogue.js';
import { loadConfig } from '../src/config/load.js';
import { loadRuntime } from '../src/mcp/runtime.js';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, mfaClaims, startHarness } from './support/harness.js';
import { nextMillisecond } from './support/time.js';

const BASE = 'https://todo.example.com';

function useAgentHarness(): Harness {
  const database = useTestDatabase(sqliteDriver);
  return suiteFixture(
    false,
    () =>
      startHarness(database.config, {
        API_PUBLIC_URL: BASE,
        // The PEP of the AuthZEN test below: a client listed as the product's own.
        FIRST_PARTY_CLIENTS: 'todo-ui,todo-cli,todo-api',
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

  it("refuses in the authorization core: the core's 403 challenge and audit row, and no step-up asked first", async () => {
    const denials = () =>
      h.context.db.kysely
        .selectFrom('audit_log')
        .select(['action', 'resource', 'detail', 'outcome', 'actor_sub'])
        .where('action', '=', 'GET /admin/users')
        .where('outcome', '=', 'denied')
        .orderBy('at')
        .execute();
    const before = (await denials()).length;
    const res = await get(await adminAgent('todo-api'), '/admin/users');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden', status: 403 });
    // RFC 6750 §3.1, as every refusal the core decides: a Bearer challenge naming the resource's
    // metadata (RFC 9728 §5.1), and no scope, since none would help.
    const challenge = res.headers['www-authenticate'] as string;
    expect(challenge).toMatch(/^Bearer realm="todo-api", error="insufficient_scope", /);
    expect(challenge).toContain(`resource_metadata="${BASE}/.well-known/oauth-protected-resource"`);
    expect(challenge).not.toMatch(/scope="/);
    // A person without the permission, refused by the core on the same route: the same row
    // (in a millisecond of its own: records of one millisecond are in id order).
    await nextMillisecond();
    const bob = await get(h.tokens.bob, '/admin/users');
    expect(bob.statusCode).toBe(403);
    const rows = (await denials()).slice(before);
    expect(rows).toEqual([
      {
        action: 'GET /admin/users',
        resource: '/admin/users',
        detail: `forbidden: ${res.json().detail}`,
        outcome: 'denied',
        actor_sub: admin.sub,
      },
      {
        action: 'GET /admin/users',
        resource: '/admin/users',
        detail: `insufficient_permission: ${bob.json().detail}`,
        outcome: 'denied',
        actor_sub: expect.any(String),
      },
    ]);
    // Without a second factor the agent is still refused with 403: a step-up (401, RFC 9470)
    // would be asked for nothing, since no sign-in makes an agent's token fit for admin work.
    const weak = await h.idp.accessToken(admin, {
      claims: { aud: 'todo-api', azp: 'agent-client' },
    });
    const refused = await get(weak, '/admin/audit');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
    // A person's agent who is no administrator: refused as an agent, not for a permission.
    const aliceAgent = await h.idp.accessToken(alice, {
      claims: { ...mfaClaims(), aud: 'todo-api', azp: 'agent-client' },
    });
    expect((await get(aliceAgent, '/admin/idp/users')).json()).toMatchObject({ code: 'forbidden' });
  });

  it('answers an AuthZEN question about admin work for an agent subject with a deny', async () => {
    // The AuthZEN vocabulary is the lists' and todos'; admin work is no action of it, so the
    // engine denies it for every subject (fail closed), an administrator's agent included.
    const pep = await h.idp.accessToken({
      sub: 'service-account-todo-api',
      username: 'service-account-todo-api',
      roles: [],
      permissions: ['authz:evaluate'],
    });
    const subject = {
      type: 'user',
      id: admin.sub,
      properties: { roles: ['admin'], client_id: 'agent-client' },
    };
    for (const [type, action] of [
      ['admin', 'can_manage_users'],
      ['idp-user', 'can_grant_role'],
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/access/v1/evaluation',
        headers: { authorization: `Bearer ${pep}` },
        payload: { subject, action: { name: action }, resource: { type, id: 'all' } },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ decision: false });
    }
  });

  it("refuses the AuthZEN API to an administrator's agent, and serves a PEP and the person's own client", async () => {
    // An administrator holds `authz:evaluate`; their agent's token carries the same roles. The
    // searches would list every person's lists and members to it: a PEP's business only.
    const subject = { type: 'user', id: alice.sub };
    const calls = [
      {
        url: '/access/v1/evaluation',
        payload: { subject, action: { name: 'can_read' }, resource: { type: 'todo', id: '1' } },
      },
      {
        url: '/access/v1/search/resource',
        payload: { subject, action: { name: 'can_read' }, resource: { type: 'list' } },
      },
      {
        url: '/access/v1/search/subject',
        payload: {
          subject: { type: 'user' },
          action: { name: 'can_read' },
          resource: { type: 'list', id: '1' },
        },
      },
    ];
    const post = (token: string, url: string, payload: unknown) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}` },
        payload: payload as Record<string, unknown>,
      });
    const agent = await adminAgent('todo-api');
    const pep = await h.idp.accessToken(
      {
        sub: 'service-account-todo-api',
        username: 'service-account-todo-api',
        roles: [],
        permissions: ['authz:evaluate'],
      },
      { claims: { azp: 'todo-api' } },
    );
    for (const { url, payload } of calls) {
      const refused = await post(agent, url, payload);
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json(), url).toMatchObject({ code: 'forbidden' });
      expect((await post(pep, url, payload)).statusCode, url).toBe(200);
      expect((await post(h.tokens.admin, url, payload)).statusCode, url).toBe(200);
    }
  });

  it("still serves the administrator's own client (todo-ui) on every admin route", async () => {
    for (const url of ['/admin/audit', '/admin/users', '/admin/todos'])
      expect((await get(h.tokens.admin, url)).statusCode, url).toBe(200);
  });
});

/**
 * The rule is a requirement of every admin route's declaration, decided by the core wherever
 * it decides a route's requirement: the REST routes, and the MCP tools, which carry their REST
 * route's declaration (a tool reaching admin data would carry it too).
 */
describe('admin work is first-party work wherever the core decides it', () => {
  const config = loadConfig({
    OIDC_ISSUER: 'https://idp.test/realms/todo-app',
    OIDC_AUDIENCE: 'todo-api',
  });
  const context = { now: Math.floor(Date.now() / 1000), isAgent: agentClassifier(config) };
  const adminAs = (clientId: string) => ({
    ...subjectPrincipal({
      issuer: 'https://idp.test/realms/todo-app',
      subject: 'a',
      roles: ['admin'],
    }),
    clientId,
  });

  it('every route under /admin/ declares firstParty, and the core refuses an agent on each', async () => {
    const policies = await routePolicies();
    const admin = Object.entries(policies).filter(([route]) =>
      route.split(' ')[1]?.startsWith('/admin/'),
    );
    expect(admin.length).toBeGreaterThanOrEqual(10);
    for (const [route, policy] of admin) {
      expect(policy.firstParty, route).toBe(true);
      const agent = decide(adminAs('registered-agent'), policy, undefined, context);
      expect(agent, route).toMatchObject({ allowed: false, reason: 'agent_not_allowed' });
      expect(decide(adminAs('todo-ui'), policy, undefined, context).allowed, route).toBe(true);
    }
    // No other route refuses agents but the AuthZEN API's (a PEP's, above) and the person's
    // list of agents (an agent may neither see nor end the others): their todo work for the
    // person is theirs to do.
    for (const [route, policy] of Object.entries(policies)) {
      const path = route.split(' ')[1] ?? '';
      const firstParty = ['/admin/', '/access/v1/', '/me/agents'].some((p) => path.startsWith(p));
      expect(policy.firstParty, route).toBe(firstParty ? true : undefined);
    }
    expect(policies['GET /me/agents']?.firstParty).toBe(true);
    expect(policies['DELETE /me/agents/:clientId']?.firstParty).toBe(true);
  });

  it("gives every MCP tool its REST route's declaration, so none reaches admin work for an agent", async () => {
    const { tools, requirements } = await loadRuntime();
    const policies = await routePolicies();
    for (const tool of tools) {
      expect(requirements.get(tool.name), tool.name).toEqual(policies[tool.route]);
      const decision = decide(
        adminAs('registered-agent'),
        requirements.get(tool.name) ?? {},
        undefined,
        context,
      );
      expect(decision.allowed === false && decision.reason === 'agent_not_allowed', tool.name).toBe(
        tool.route.split(' ')[1]?.startsWith('/admin/') === true,
      );
    }
  });
});

describe('which clients are agents', () => {
  const base = { OIDC_ISSUER: 'http://idp.test/realms/todo-app', OIDC_AUDIENCE: 'todo-api' };
  it("counts the product's own clients, the docs' client and the API's own as none", () => {
    const isAgent = agentClassifier(
      loadConfig({ ...base, OIDC_DOCS_CLIENT_ID: 'todo-docs', OIDC_CLIENT_ID: 'todo-api' }),
    );
    for (const own of ['todo-ui', 'todo-cli', 'todo-docs', 'todo-api', undefined, ''])
      expect(isAgent(own, base.OIDC_ISSUER), String(own)).toBe(false);
    expect(isAgent('5d0c3f1e-registered')).toBe(true);
  });

  it("honours an issuer's API client only for tokens of that issuer", async () => {
    // Client ids are names within one issuer: issuer B may hold a client named like issuer A's
    // API client (`todo-api`), and its tokens are no PEP's of this API for that.
    const a = 'https://a.test/realms/todo-app';
    const b = 'https://b.test/realms/partner';
    const config = loadConfig({
      OIDC_ISSUERS: JSON.stringify([
        { issuer: a, clientId: 'todo-api', clientSecret: 'a-secret' },
        { issuer: b, clientId: 'partner-api', clientSecret: 'b-secret' },
      ]),
    });
    const isAgent = agentClassifier(config);
    expect(isAgent('todo-api', a)).toBe(false);
    expect(isAgent('partner-api', b)).toBe(false);
    expect(isAgent('todo-api', b)).toBe(true);
    expect(isAgent('partner-api', a)).toBe(true);
    // Through the core, on the AuthZEN API's declaration.
    const policies = await routePolicies();
    const evaluation = policies['POST /access/v1/evaluation'] ?? {};
    expect(evaluation.firstParty).toBe(true);
    const pep = (issuer: string, clientId: string) => ({
      ...subjectPrincipal({ issuer, subject: 'service-account', roles: ['admin'] }),
      clientId,
    });
    const context = { now: Math.floor(Date.now() / 1000), isAgent };
    expect(decide(pep(a, 'todo-api'), evaluation, undefined, context).allowed).toBe(true);
    expect(decide(pep(b, 'todo-api'), evaluation, undefined, context)).toMatchObject({
      allowed: false,
      reason: 'agent_not_allowed',
    });
  });
});
