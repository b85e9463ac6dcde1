import { generateSigningKey, type TestUser } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drivers, rowCount, sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness, useHarness, users } from './support/harness.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Posts a logout token to the receiver the way an OP does (form-encoded, §2.5). */
const postLogout = (h: Harness, token: string) =>
  h.app.inject({
    method: 'POST',
    url: '/auth/backchannel-logout',
    headers: FORM,
    payload: new URLSearchParams({ logout_token: token }).toString(),
  });
/**
 * §2.8: a refusal may carry an OAuth 2.0 error (RFC 6749 §5.2), whose `error_description` holds
 * printable ASCII without `"` and `\\` only.
 */
function expectOAuthError(response: { json(): unknown }) {
  const body = response.json() as { error?: unknown; error_description?: unknown };
  expect(body.error).toBe('invalid_request');
  expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
}
const getMe = (h: Harness, token: string) =>
  h.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } });

describe.each(drivers)('back-channel logout and revocation on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  const logout = (token: string) => postLogout(h, token);
  const me = (token: string) => getMe(h, token);
  const revocationRows = () => rowCount(h.context.db, 'revocations');
  /** `user` signs in 40 s after `nowSec` (past the 30 s tolerance), on the API's clock too. */
  async function meSignedInLater(user: TestUser, nowSec: number) {
    h.setClockOffset(40_000);
    try {
      return await me(await h.idp.accessToken(user, { issuedAt: nowSec + 40 }));
    } finally {
      h.setClockOffset(0);
    }
  }

  it.skipIf(skip)(
    'ends the session named by sid and the subject’s sid-less tokens, and nothing else',
    async () => {
      const sid = 'session-alice-1';
      const ended = await h.idp.accessToken(users.alice, { sessionId: sid });
      const otherSession = await h.idp.accessToken(users.alice, { sessionId: 'session-alice-2' });
      const bobs = await h.idp.accessToken(users.bob, { sessionId: 'session-bob-1' });
      const nowSec = Math.floor(Date.now() / 1000);
      const noSid = await h.idp.accessToken(users.alice, {
        claims: { sid: undefined },
        issuedAt: nowSec - 5,
      });
      expect((await me(ended)).statusCode).toBe(200); // now in the verified-token cache
      expect((await me(noSid)).statusCode).toBe(200);

      const response = await logout(await h.idp.logoutToken({ sub: users.alice.sub, sid }));
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');

      const refused = await me(ended);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'token_revoked' });
      expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect((await me(otherSession)).statusCode).toBe(200);
      expect((await me(bobs)).statusCode).toBe(200);
      // A token without sid cannot prove it is not from the ended session: refused (fail closed).
      expect((await me(noSid)).json()).toMatchObject({ code: 'token_revoked' });
    },
  );

  it.skipIf(skip)(
    'with only a sub, ends every token of the subject issued until then',
    async () => {
      const nowSec = Math.floor(Date.now() / 1000);
      const before = await h.idp.accessToken(users.carol, { issuedAt: nowSec - 5 });
      const token = await h.idp.logoutToken(
        { sub: users.carol.sub },
        { claims: { sid: undefined } },
      );
      expect((await logout(token)).statusCode).toBe(200);
      expect((await me(before)).json()).toMatchObject({ code: 'token_revoked' });
      // Within the 30 s clock tolerance a later iat may be the IdP's clock running ahead: refused.
      const soon = await h.idp.accessToken(users.carol, { issuedAt: nowSec + 20 });
      expect((await me(soon)).json()).toMatchObject({ code: 'token_revoked' });
      // A sign-in 40 s after the logout gets a token issued later, which is accepted.
      expect((await meSignedInLater(users.carol, nowSec)).statusCode).toBe(200);
    },
  );

  it.skipIf(skip)('refuses a replayed logout token with 400 invalid_request', async () => {
    const token = await h.idp.logoutToken({ sub: users.bob.sub, sid: 'session-bob-replay' });
    expect((await logout(token)).statusCode).toBe(200);
    const replay = await logout(token);
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_request', code: 'logout_token_invalid' });
  });

  const invalid: { name: string; token: () => Promise<string> }[] = [
    {
      name: 'a forged one (signed by an unknown key)',
      token: async () =>
        h.idp.logoutToken({ sub: users.bob.sub }, { key: await generateSigningKey('RS256') }),
    },
    {
      name: 'one for another audience',
      token: () => h.idp.logoutToken({ sub: users.bob.sub }, { client: 'someone-else' }),
    },
    {
      name: 'one bearing a nonce',
      token: () => h.idp.logoutToken({ sub: users.bob.sub }, { claims: { nonce: 'n-0S6_WzA2Mj' } }),
    },
    {
      name: 'one without the back-channel logout event',
      token: () => h.idp.logoutToken({ sub: users.bob.sub }, { claims: { events: undefined } }),
    },
    {
      name: 'one without sub and sid',
      token: () =>
        h.idp.logoutToken({ sub: undefined }, { claims: { sid: undefined, sub: undefined } }),
    },
    {
      name: 'one without a jti',
      token: () => h.idp.logoutToken({ sub: users.bob.sub }, { claims: { jti: undefined } }),
    },
    { name: 'an access token', token: () => h.idp.accessToken(users.bob) },
    // §2.4: `sid` and `sub` are strings. A wrong-typed one must not be dropped, leaving the
    // other to decide: a sid of 42 beside a sub would end every session of the subject.
    ...[42, {}, ['session-bob-1'], '', null, true].flatMap((bad) => [
      {
        name: `one whose sid is ${JSON.stringify(bad)}, beside a valid sub`,
        token: () => h.idp.logoutToken({ sub: users.bob.sub }, { claims: { sid: bad } }),
      },
      {
        name: `one whose sub is ${JSON.stringify(bad)}, beside a valid sid`,
        token: () =>
          h.idp.logoutToken(
            { sub: users.bob.sub, sid: 'session-bob-typed' },
            { claims: { sub: bad } },
          ),
      },
    ]),
  ];

  it.skipIf(skip).each(invalid)('refuses $name with 400 and revokes nothing', async ({ token }) => {
    const bobs = await h.idp.accessToken(users.bob);
    const rows = await revocationRows();
    const response = await logout(await token());
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expectOAuthError(response);
    expect(await revocationRows()).toBe(rows);
    expect((await me(bobs)).statusCode).toBe(200);
  });

  /** What the receiver refuses before it reads a token, and the status each gets. */
  const malformed: {
    name: string;
    status: number;
    request: () => Promise<{ headers?: Record<string, string>; payload: string | object }>;
  }[] = [
    { name: 'no logout_token', status: 400, request: async () => ({ headers: FORM, payload: '' }) },
    {
      name: 'logout_token sent twice, the last one valid (RFC 6749 §3.1)',
      status: 400,
      request: async () => ({
        headers: FORM,
        payload: `logout_token=x&logout_token=${await h.idp.logoutToken({ sub: users.bob.sub })}`,
      }),
    },
    {
      name: 'the same valid logout_token twice (RFC 6749 §3.1)',
      status: 400,
      request: async () => {
        const token = await h.idp.logoutToken({ sub: users.bob.sub });
        return { headers: FORM, payload: `logout_token=${token}&logout_token=${token}` };
      },
    },
    // §2.8: a logout request that fails is 400, whatever HTTP would answer elsewhere (415, 413).
    {
      name: 'a JSON body (§2.5 asks for a form)',
      status: 400,
      request: async () => ({
        payload: { logout_token: await h.idp.logoutToken({ sub: users.bob.sub }) },
      }),
    },
    {
      name: 'a JSON body in another charset than UTF-8',
      status: 400,
      request: async () => ({
        headers: { 'content-type': 'application/json; charset=utf-16' },
        payload: JSON.stringify({ logout_token: await h.idp.logoutToken({ sub: users.bob.sub }) }),
      }),
    },
    {
      name: 'a text/plain body',
      status: 400,
      request: async () => ({
        headers: { 'content-type': 'text/plain' },
        payload: `logout_token=${await h.idp.logoutToken({ sub: users.bob.sub })}`,
      }),
    },
    {
      name: 'a body over BODY_LIMIT_BYTES',
      status: 400,
      request: async () => ({ headers: FORM, payload: `logout_token=${'a'.repeat(64 * 1024)}` }),
    },
  ];

  it.skipIf(skip)(
    'names a repeated parameter in its refusal as one short line, however long the name',
    async () => {
      const name = `${'n'.repeat(3_000)}\u001b[2J\r\nX`;
      const form = new URLSearchParams([
        [name, '1'],
        [name, '2'],
      ]).toString();
      const response = await h.app.inject({
        method: 'POST',
        url: '/auth/backchannel-logout',
        headers: FORM,
        payload: form,
      });
      expect(response.statusCode).toBe(400);
      expectOAuthError(response);
      expect(response.body.length).toBeLessThan(1_000);
      const { detail } = response.json() as { detail: string };
      expect(detail).toMatch(/more than once/);
      expect([...detail].some((c) => (c.codePointAt(0) ?? 0) < 0x20)).toBe(false);
    },
  );

  it.skipIf(skip)('documents 400 for every refusal, and no 413 or 415 (§2.8)', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json();
    const responses = doc.paths['/auth/backchannel-logout'].post.responses;
    // 408 and 431 are the HTTP server's, before any route decides: a request that did not arrive
    // whole, or whose header section is too large. Every refusal the receiver decides is a 400.
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '408', '431', '503']);
    expect(responses['400'].description).toMatch(/content coding/);
  });

  it.skipIf(skip).each(malformed)(
    'answers $name with $status, an OAuth error, no-store, and revokes nothing',
    async ({ status, request }) => {
      const bobs = await h.idp.accessToken(users.bob);
      const rows = await revocationRows();
      const response = await h.app.inject({
        method: 'POST',
        url: '/auth/backchannel-logout',
        ...(await request()),
      });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['cache-control']).toBe('no-store');
      expectOAuthError(response);
      expect(await revocationRows()).toBe(rows);
      expect((await me(bobs)).statusCode).toBe(200);
    },
  );

  it.skipIf(skip)(
    'lets an admin revoke a subject now, audited, while later tokens still work',
    async () => {
      const nowSec = Math.floor(Date.now() / 1000);
      const old = await h.idp.accessToken(users.alice, { issuedAt: nowSec - 5 });
      expect((await me(old)).statusCode).toBe(200);
      const response = await h.as('admin', {
        method: 'POST',
        url: '/admin/sessions/revoke',
        payload: { sub: users.alice.sub },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().revoked).toEqual([
        expect.objectContaining({ issuer: h.idp.issuer, sub: users.alice.sub }),
      ]);
      expect((await me(old)).json()).toMatchObject({ code: 'token_revoked' });
      expect((await meSignedInLater(users.alice, nowSec)).statusCode).toBe(200);

      const audit = await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' });
      expect(audit.json().items).toContainEqual(
        expect.objectContaining({
          action: 'session.revoke',
          actorSub: users.admin.sub,
          outcome: 'success',
        }),
      );
    },
  );

  it.skipIf(skip)('refuses to revoke at an issuer that is not trusted', async () => {
    const response = await h.as('admin', {
      method: 'POST',
      url: '/admin/sessions/revoke',
      payload: { sub: users.bob.sub, issuer: 'https://evil.example' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { field: 'body.issuer', message: 'is not a trusted issuer' },
    ]);
  });

  it.skipIf(skip)('counts refusals by reason in /metrics', async () => {
    const metrics = await h.app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    // Each refusal is counted once: the revoked-token responses of this suite, exactly.
    const refused = Number(
      /auth_failures_total\{code="token_revoked"\} (\d+)/.exec(metrics.body)?.[1],
    );
    expect(refused).toBe(5);
    expect(metrics.body).toMatch(/revocations_total\{kind="session",source="backchannel"\} [1-9]/);
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/me",status="200"\}/);
  });
});

describe('a back-channel logout that fails half-way on SQLite', () => {
  const h = useHarness(sqliteDriver);

  const logout = (token: string) => postLogout(h, token);
  const me = (token: string) => getMe(h, token);
  const count = (table: 'logout_jtis' | 'revocations' | 'audit_log') =>
    rowCount(h.context.db, table);

  it('answers 503 without burning the jti, so the IdP’s retry of the same token ends the session', async () => {
    const sid = 'session-alice-retry';
    const access = await h.idp.accessToken(users.alice, { sessionId: sid });
    expect((await me(access)).statusCode).toBe(200);
    const token = await h.idp.logoutToken({ sub: users.alice.sub, sid });
    const audited = await count('audit_log');

    await sql`create trigger fail_revocations before insert on revocations
      begin select raise(abort, 'injected revocation failure'); end`.execute(h.context.db.kysely);
    const failed = await logout(token);
    await sql`drop trigger fail_revocations`.execute(h.context.db.kysely);
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.headers['retry-after']).toBe('5');
    expect(failed.json()).toMatchObject({ status: 503, code: 'unavailable' });
    // Nothing half-written: no jti, no revocation, no audit entry.
    expect(await count('logout_jtis')).toBe(0);
    expect(await count('revocations')).toBe(0);
    expect(await count('audit_log')).toBe(audited);
    expect((await me(access)).statusCode).toBe(200);

    const retried = await logout(token);
    expect(retried.statusCode).toBe(200);
    const refused = await me(access);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'token_revoked' });
    expect(await count('audit_log')).toBe(audited + 1);
  });
});

describe('an admin revocation that fails half-way on SQLite', () => {
  const h = useHarness(sqliteDriver);
  const count = (table: 'revocations' | 'audit_log') => rowCount(h.context.db, table);
  const revoke = () =>
    h.as('admin', {
      method: 'POST',
      url: '/admin/sessions/revoke',
      payload: { sub: users.carol.sub },
    });

  it('revokes nothing when its audit record cannot be written, and a retry revokes', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const old = await h.idp.accessToken(users.carol, { issuedAt: nowSec - 5 });
    expect((await getMe(h, old)).statusCode).toBe(200);
    const audited = await count('audit_log');

    await sql`create trigger fail_audit before insert on audit_log
      begin select raise(abort, 'injected audit failure'); end`.execute(h.context.db.kysely);
    const failed = await revoke();
    await sql`drop trigger fail_audit`.execute(h.context.db.kysely);
    // An unexpected database error (not an outage): 500, its message not echoed.
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ status: 500, code: 'internal_error' });
    expect(failed.body).not.toContain('injected');
    // Nothing half-written: no revocation stored, none in force, no audit record.
    expect(await count('revocations')).toBe(0);
    expect(await count('audit_log')).toBe(audited);
    expect((await getMe(h, old)).statusCode).toBe(200);

    const retried = await revoke();
    expect(retried.statusCode).toBe(200);
    expect(await count('revocations')).toBe(1);
    expect(await count('audit_log')).toBe(audited + 1);
    expect((await getMe(h, old)).json()).toMatchObject({ code: 'token_revoked' });
  });
});

describe('a logout token replayed after its jti record would have expired', () => {
  // Revocations (and, until now, seen jtis) last as long as the longest access token: here 60 s,
  // shorter than the 600 s a logout token stays acceptable for (LOGOUT_TOKEN_MAX_AGE_SEC).
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { REVOCATION_TTL_SECONDS: '60' }),
    (harness) => harness.close(),
  );

  it('is still refused as a replay while the token itself could be accepted (§2.6 step 8)', async () => {
    const sid = 'session-bob-short-ttl';
    const token = await h.idp.logoutToken({ sub: users.bob.sub, sid }, { expiresInSec: 300 });
    expect((await postLogout(h, token)).statusCode).toBe(200);
    try {
      // 90 s later the token is still unexpired and recent enough; the periodic prune runs.
      h.setClockOffset(90_000);
      await h.context.revocations.reload();
      const replay = await postLogout(h, token);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ code: 'logout_token_invalid' });
    } finally {
      h.setClockOffset(0);
    }
  });
});

describe('a revoked token whose lifetime equals REVOCATION_TTL_SECONDS', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { REVOCATION_TTL_SECONDS: '300' }),
    (harness) => harness.close(),
  );

  it('stays refused while it still passes validation (iat and exp with the 30 s tolerance)', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    // Signed by an IdP whose clock runs 25 s ahead, just before the logout: covered by the
    // subject revocation (iat within the tolerance), and valid until exp + 30 s = now + 355 s.
    const token = await h.idp.accessToken(users.carol, {
      issuedAt: nowSec + 25,
      expiresInSec: 300,
    });
    expect((await getMe(h, token)).statusCode).toBe(200);
    // No sid: the subject's every token issued until then (§2.4).
    const logoutToken = await h.idp.logoutToken(
      { sub: users.carol.sub },
      { claims: { sid: undefined } },
    );
    expect((await postLogout(h, logoutToken)).statusCode).toBe(200);
    try {
      for (const offsetSec of [1, 299, 301, 330, 345]) {
        h.setClockOffset(offsetSec * 1000);
        await h.context.revocations.reload();
        expect((await getMe(h, token)).json(), `${offsetSec} s after`).toMatchObject({
          code: 'token_revoked',
        });
      }
      h.setClockOffset(360_000);
      expect((await getMe(h, token)).json()).toMatchObject({ code: 'token_expired' });
    } finally {
      h.setClockOffset(0);
    }
  });
});

describe('a logout form of many parameters, at a large BODY_LIMIT_BYTES', () => {
  // The receiver is unauthenticated and outside the rate limits, so what a post costs before its
  // token is checked must grow with its size, not with its square: the check for a repeated
  // parameter (RFC 6749 §3.1) looks each name up once.
  const LIMIT = 1024 * 1024;
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { BODY_LIMIT_BYTES: String(LIMIT) }),
    (harness) => harness.close(),
  );

  it('is refused at the cost of reading it, however many distinct names it holds', async () => {
    const names: string[] = [];
    for (let size = 0, i = 0; size < LIMIT - 1024; i++) {
      const name = `p${i.toString(36)}`;
      names.push(`${name}=`);
      size += name.length + 2;
    }
    const payload = `${names.join('&')}&logout_token=not-a-token`;
    const started = performance.now();
    const response = await h.app.inject({
      method: 'POST',
      url: '/auth/backchannel-logout',
      headers: FORM,
      payload,
    });
    const tookMs = performance.now() - started;
    expect(response.statusCode).toBe(400);
    expectOAuthError(response);
    // About 150,000 names: well under a second read once each, tens of seconds compared
    // pairwise (blocking every other request meanwhile). The bound only tells the two apart,
    // with room for a loaded machine.
    expect(tookMs).toBeLessThan(3_000);
  });
});
