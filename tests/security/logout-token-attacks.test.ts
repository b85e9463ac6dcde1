import { createPublicKey } from 'node:crypto';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCount } from '../../packages/api/test/support/databases.js';
import { type RunningApi, startApiUnderTest } from '../reliability/support/api.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import type { ForgeKit } from './attacks.js';
import { parts, signHmac, signingInput, signRsa } from './forge.js';
import { buildForgeKit } from './kit.js';
import { startTrap, type Trap } from './trap.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface LogoutAttack {
  readonly name: string;
  readonly forge: (kit: ForgeKit, claims: Record<string, unknown>) => Promise<string> | string;
}

const json = (v: unknown) => JSON.stringify(v);
const realSigned = (k: ForgeKit, claims: Record<string, unknown>) =>
  signRsa(json({ alg: 'RS256', typ: 'JWT', kid: k.realKid }), json(claims), k.realKey);

/**
 * Forged logout tokens would let anyone sign a victim out (OpenID Connect Back-Channel Logout
 * 1.0 §2.6): each is refused with 400 (§2.8) and the victim's session keeps working.
 */
const LOGOUT_ATTACKS: readonly LogoutAttack[] = [
  {
    name: 'alg none',
    forge: (k, c) => `${signingInput(json({ alg: 'none', kid: k.realKid }), json(c))}.`,
  },
  {
    name: 'HS256 keyed with the RSA public key',
    forge: (k, c) =>
      signHmac(
        json({ alg: 'HS256', kid: k.realKid }),
        json(c),
        createPublicKey(k.realKey).export({ type: 'spki', format: 'pem' }),
      ),
  },
  {
    name: 'attacker key under the trusted kid',
    forge: (k, c) =>
      signRsa(json({ alg: 'RS256', kid: k.realKid }), json(c), k.attacker.privateKey),
  },
  {
    name: 'attacker key with an unknown kid',
    forge: (k, c) => signRsa(json({ alg: 'RS256', kid: 'evil' }), json(c), k.attacker.privateKey),
  },
  {
    name: "another issuer's logout token for the victim",
    forge: (k, c) => k.stranger.logoutToken({ sub: String(c.sub), sid: String(c.sid) }),
  },
  { name: 'an access token posted as a logout token', forge: (k) => k.valid },
  { name: 'events claim missing', forge: (k, c) => realSigned(k, { ...c, events: undefined }) },
  {
    name: 'events without the back-channel logout event',
    forge: (k, c) => realSigned(k, { ...c, events: { 'urn:other': {} } }),
  },
  {
    name: 'events as an array naming the event',
    forge: (k, c) => realSigned(k, { ...c, events: [EVENT] }),
  },
  {
    name: 'a nonce (forbidden in logout tokens)',
    forge: (k, c) => realSigned(k, { ...c, nonce: 'n' }),
  },
  {
    name: 'neither sub nor sid',
    forge: (k, c) => realSigned(k, { ...c, sub: undefined, sid: undefined }),
  },
  {
    name: 'aud of a client the API does not serve',
    forge: (k, c) => realSigned(k, { ...c, aud: 'evil-client' }),
  },
  {
    name: 'aud naming an untrusted client besides one the API serves',
    forge: (k, c) => realSigned(k, { ...c, aud: [c.aud, 'evil-client'] }),
  },
  { name: 'expired long ago', forge: (k, c) => realSigned(k, { ...c, iat: 1000, exp: 2000 }) },
  {
    name: 'issued in the future',
    forge: (k, c) => realSigned(k, { ...c, iat: Math.floor(Date.now() / 1000) + 3600 }),
  },
  {
    name: 'iss of a stranger under a trusted signature',
    forge: (k, c) => realSigned(k, { ...c, iss: 'https://evil.example' }),
  },
];

describe('forged back-channel logout tokens', () => {
  let database: SuiteDatabase;
  let idp: TestIssuer;
  let stranger: TestIssuer;
  let trap: Trap;
  let kit: ForgeKit;
  let api: RunningApi;
  let victim: string;
  let claims: Record<string, unknown>;

  const post = (body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(`${api.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
  /** The rows a logout writes: revocations and claimed jtis. */
  const recorded = async () => ({
    revocations: await rowCount(api.context.db, 'revocations'),
    jtis: await rowCount(api.context.db, 'logout_jtis'),
  });
  const victimStatus = async () =>
    (await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${victim}` } })).status;

  beforeAll(async () => {
    database = sqliteDatabase();
    idp = await startTestIssuer({ profile: 'keycloak' });
    stranger = await startTestIssuer({ profile: 'keycloak' });
    trap = await startTrap();
    kit = await buildForgeKit(idp, stranger, trap.url);
    api = await startApiUnderTest({ database: database.env, idp });
    victim = kit.valid;
    const sid = String(JSON.parse(parts(victim).payload).sid);
    const template = await idp.logoutToken({ sub: alice.sub, sid });
    claims = JSON.parse(parts(template).payload);
    expect(await victimStatus()).toBe(200);
  });

  afterAll(async () => {
    await api?.close();
    await stranger?.close();
    await idp?.close();
    await trap?.close();
    await database?.drop();
  });

  it.each(LOGOUT_ATTACKS)(
    'refuses a logout token with $name (400), records nothing and keeps the victim signed in',
    async (attack) => {
      const token = await attack.forge(kit, { ...claims, jti: crypto.randomUUID() });
      const before = await recorded();
      const res = await post(`logout_token=${encodeURIComponent(token)}`);
      const body = (await res.json()) as { code?: string; error?: string };
      expect({ status: res.status, code: body.code, error: body.error }).toEqual({
        status: 400,
        code: 'logout_token_invalid',
        error: 'invalid_request',
      });
      expect(res.headers.get('cache-control')).toBe('no-store');
      // No revocation, and no jti burnt: the genuine token that carries it still works.
      expect(await recorded()).toEqual(before);
      expect(await victimStatus()).toBe(200);
    },
  );

  it('refuses a replayed logout token (§2.6 step 8) the second time', async () => {
    const token = await idp.logoutToken({ sub: undefined, sid: 'a-session-nobody-uses' });
    expect((await post(`logout_token=${encodeURIComponent(token)}`)).status).toBe(200);
    const again = await post(`logout_token=${encodeURIComponent(token)}`);
    expect(again.status).toBe(400);
    expect(await victimStatus()).toBe(200);
  });

  it('refuses a logout token sent as JSON instead of a form (§2.5) with 400 (§2.8)', async () => {
    const token = await idp.logoutToken({ sub: alice.sub });
    const res = await post(json({ logout_token: token }), 'application/json');
    expect(res.status).toBe(400);
    expect(await victimStatus()).toBe(200);
  });

  it('signs the victim out for a genuine logout token (control)', async () => {
    const token = await idp.logoutToken({ sub: alice.sub, sid: String(claims.sid) });
    const before = await recorded();
    expect((await post(`logout_token=${encodeURIComponent(token)}`)).status).toBe(200);
    const after = await recorded();
    expect(after.jtis).toBe(before.jtis + 1);
    expect(after.revocations).toBeGreaterThan(before.revocations);
    expect(await victimStatus()).toBe(401);
  });

  it('never fetched a URL a token named', () => {
    expect(trap.hits).toEqual([]);
    expect(LOGOUT_ATTACKS.length).toBeGreaterThanOrEqual(12);
  });
});
