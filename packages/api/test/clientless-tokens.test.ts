import { randomUUID } from 'node:crypto';
import { admin } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { mfaClaims, useRunningApi } from './support/harness.js';

/**
 * A token that names no client (neither `azp` nor `client_id`, which RFC 9068 §2.2 requires)
 * cannot be told from an agent's: where the product's own client is required (the admin
 * routes, the AuthZEN API, `/me/agents`) it is refused with the agent refusal's 403 and a
 * description saying why, audited like every denial; the person's own todos keep working.
 * Over a real socket, with tokens signed by the test issuer.
 */
const stack = useRunningApi({ STEP_UP_ACR: 'mfa', STEP_UP_MAX_AGE_SECONDS: '900' });

/** An administrator of their own (so the audit rows are theirs alone), fresh second factor. */
const person = { ...admin, sub: `admin-${randomUUID()}`, username: 'admin-clientless' };

const clientless = () =>
  stack.idp.accessToken(person, {
    claims: { ...mfaClaims(), azp: undefined, client_id: undefined },
  });
const ownClient = () =>
  stack.idp.accessToken(person, { claims: { ...mfaClaims(), azp: 'todo-ui' } });

function call(token: string, method: string, path: string, body?: unknown) {
  return fetch(`${stack.api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const NAMES_NO_CLIENT =
  /names no client \(none of azp, client_id, cid or appid; RFC 9068 section 2\.2\)/;
const subject = { type: 'user', id: 'alice-sub' };
const evaluation = {
  subject,
  action: { name: 'can_read' },
  resource: { type: 'todo', id: '1' },
};

/** Every first-party route this suite asks, with what to send. */
const FIRST_PARTY: readonly [method: string, path: string, body?: unknown][] = [
  ['GET', '/admin/users'],
  ['GET', '/admin/audit'],
  ['GET', '/admin/agents/grant-ends'],
  ['POST', '/access/v1/evaluation', evaluation],
  ['GET', '/me/agents'],
];

describe('a token that names no client', () => {
  it('is refused on the admin, grant-end, AuthZEN and agents routes with 403 saying why', async () => {
    const token = await clientless();
    for (const [method, path, body] of FIRST_PARTY) {
      const res = await call(token, method, path, body);
      const name = `${method} ${path}`;
      expect(res.status, name).toBe(403);
      const problem = (await res.json()) as { code: string; detail: string };
      // The agent refusal's code and challenge (RFC 6750 §3.1, no scope would help).
      expect(problem.code, name).toBe('forbidden');
      expect(problem.detail, name).toMatch(NAMES_NO_CLIENT);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge, name).toMatch(/^Bearer realm="todo-api", error="insufficient_scope", /);
      expect(challenge, name).toMatch(NAMES_NO_CLIENT);
      expect(challenge, name).not.toMatch(/scope="/);
    }
  });

  it("keeps serving the person's own todos and profile", async () => {
    const token = await clientless();
    expect((await call(token, 'GET', '/todos/')).status).toBe(200);
    expect((await call(token, 'GET', '/me')).status).toBe(200);
  });

  it('the same person through the web app (azp todo-ui) is served, and reads the refusals in the audit log', async () => {
    const token = await ownClient();
    for (const [method, path, body] of FIRST_PARTY)
      expect((await call(token, method, path, body)).status, `${method} ${path}`).toBe(200);
    const page = (await (await call(token, 'GET', '/admin/audit?limit=100')).json()) as {
      items: {
        actorSub: string | null;
        actorClient: string | null;
        action: string;
        outcome: string;
        detail: string;
      }[];
    };
    const denials = page.items
      .filter((e) => e.actorSub === person.sub && e.outcome === 'denied')
      .map((e) => [e.action, e.detail, e.actorClient]);
    // Each refusal is recorded without a client: the token named none.
    for (const [method, path] of FIRST_PARTY)
      expect(denials, `${method} ${path}`).toContainEqual([
        `${method} ${path}`,
        expect.stringMatching(/^forbidden: The access token names no client/),
        null,
      ]);
  });
});
