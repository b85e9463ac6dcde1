import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeJwt,
  passwordGrant,
  realmJson,
  refresh,
  startTestIdp,
  type TestIdp,
} from './helpers.js';
import { ADMIN_OTP_SECRET, pageOf, SignIn, totpCode } from './step-up-helpers.js';

const ADMIN_KEY = Buffer.from(ADMIN_OTP_SECRET, 'utf8');
let idp: TestIdp;

beforeEach(async () => {
  idp = await startTestIdp();
});
afterEach(async () => {
  await idp.close();
});

async function passwordSignIn(signIn: SignIn, username: string, extra = {}) {
  const login = await signIn.start(extra);
  expect(pageOf(login)).toBe('login');
  return signIn.submit(login, { username, password: username });
}

describe('levels of authentication (acr.loa.map {"pwd":1,"mfa":2})', { timeout: 30_000 }, () => {
  it('lists the acr values in discovery and gives a password-only sign-in acr pwd, amr [pwd] and auth_time', async () => {
    expect(idp.discovery.acr_values_supported).toEqual(['pwd', 'mfa']);
    expect(idp.discovery.claims_parameter_supported).toBe(true);
    const before = Math.floor(Date.now() / 1000);
    const signIn = new SignIn(idp);
    const done = await passwordSignIn(signIn, 'admin');
    expect(pageOf(done)).toBe('done');
    const { access, id } = await signIn.tokens(done);
    expect(access).toMatchObject({ acr: 'pwd', amr: ['pwd'] });
    expect(access.auth_time).toBeGreaterThanOrEqual(before);
    expect(id).toMatchObject({ acr: 'pwd', amr: ['pwd'], auth_time: access.auth_time });
  });

  it('asks a signed-in session for the OTP only when acr_values=mfa, refuses a wrong code, and a right one gives acr mfa with amr otp', async () => {
    const signIn = new SignIn(idp);
    const first = await signIn.tokens(await passwordSignIn(signIn, 'admin'));
    expect(first.access.acr).toBe('pwd');

    const otp = await signIn.start({ acr_values: 'mfa' });
    expect(pageOf(otp)).toBe('otp');
    expect(otp.html).toContain('stronger sign-in');
    const wrongCode = totpCode(ADMIN_KEY, 5);
    const refused = await signIn.submit(otp, { otp: wrongCode });
    expect(pageOf(refused)).toBe('otp');
    expect(refused.html).toContain('Invalid authenticator code.');

    const done = await signIn.submit(refused, { otp: totpCode(ADMIN_KEY) });
    expect(pageOf(done)).toBe('done');
    const { access, id } = await signIn.tokens(done);
    expect(access).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'], sub: first.access.sub });
    expect(access.auth_time).toBeGreaterThanOrEqual(first.access.auth_time as number);
    expect(id).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });

    // The session is at mfa now: a request for pwd or mfa passes without a page.
    expect(pageOf(await signIn.start({ acr_values: 'pwd' }))).toBe('done');
    const again = await signIn.start({ acr_values: 'mfa' });
    expect(pageOf(again)).toBe('done');
    expect((await signIn.tokens(again)).access.acr).toBe('mfa');
  });

  it('keeps acr mfa, amr and the step-up auth_time in tokens renewed with the refresh token', async () => {
    const signIn = new SignIn(idp);
    await signIn.tokens(await passwordSignIn(signIn, 'admin'));
    const otp = await signIn.start({ acr_values: 'mfa', max_age: '900' });
    expect(pageOf(otp)).toBe('otp');
    const stepped = await signIn.tokens(await signIn.submit(otp, { otp: totpCode(ADMIN_KEY) }));
    expect(stepped.access.acr).toBe('mfa');

    const renewed = await refresh(idp, stepped.body.refresh_token as string, 'todo-ui');
    expect(renewed.status).toBe(200);
    const access = decodeJwt(renewed.body.access_token as string).payload;
    const id = decodeJwt(renewed.body.id_token as string).payload;
    const expected = { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: stepped.access.auth_time };
    expect(access).toMatchObject(expected);
    // OpenID Connect Core §12.2: a refreshed ID token keeps the original auth_time (relying
    // parties such as oidc-client-ts refuse one that does not).
    expect(id).toMatchObject(expected);
  });

  it('refuses a code that has already signed in once (RFC 6238 §5.2)', async () => {
    const code = totpCode(ADMIN_KEY);
    const a = new SignIn(idp);
    const first = await a.submit(await passwordSignIn(a, 'admin', { acr_values: 'mfa' }), {
      otp: code,
    });
    expect(pageOf(first)).toBe('done');
    const b = new SignIn(idp);
    const replay = await b.submit(await passwordSignIn(b, 'admin', { acr_values: 'mfa' }), {
      otp: code,
    });
    expect(pageOf(replay)).toBe('otp');
    expect(replay.html).toContain('Invalid authenticator code.');
  });

  it('takes the claims parameter with an essential acr like acr_values', async () => {
    const signIn = new SignIn(idp);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['mfa'] } } });
    const otp = await passwordSignIn(signIn, 'admin', { claims });
    expect(pageOf(otp)).toBe('otp');
    expect(otp.html).not.toContain('stronger sign-in');
    const { access } = await signIn.tokens(await signIn.submit(otp, { otp: totpCode(ADMIN_KEY) }));
    expect(access).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });
  });

  it('answers a request for pwd of a session at mfa with acr pwd, as Keycloak (OpenID Connect Core §5.5.1.1)', async () => {
    const signIn = new SignIn(idp);
    const otp = await passwordSignIn(signIn, 'admin', { acr_values: 'mfa' });
    const stepped = await signIn.tokens(await signIn.submit(otp, { otp: totpCode(ADMIN_KEY) }));
    expect(stepped.id.acr).toBe('mfa');
    // An essential acr asked for with values MUST come back as one of them: the session's mfa
    // reaches pwd, so pwd it is, without a page. Keycloak's acr mapper answers acr_values alike:
    // the highest level asked for that the session reaches.
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['pwd'] } } });
    for (const extra of [{ claims }, { acr_values: 'pwd' }] as Record<string, string>[]) {
      const done = await signIn.start(extra);
      expect(pageOf(done)).toBe('done');
      const { access, id } = await signIn.tokens(done);
      expect(id, JSON.stringify(extra)).toMatchObject({ acr: 'pwd', amr: ['pwd', 'otp'] });
      expect(access.acr).toBe('pwd');
    }
    // Both asked for: the highest the session reaches; none asked for: the session's own.
    expect((await signIn.tokens(await signIn.start({ acr_values: 'pwd mfa' }))).id.acr).toBe('mfa');
    expect((await signIn.tokens(await signIn.start())).id.acr).toBe('mfa');
  });

  it('max_age=0 makes a signed-in session enter its password again, with a new auth_time', async () => {
    const signIn = new SignIn(idp);
    const first = await signIn.tokens(await passwordSignIn(signIn, 'alice'));
    expect(pageOf(await signIn.start())).toBe('done');
    // auth_time counts whole seconds: the next second is when a new sign-in gets a later one.
    const nextSecond = ((first.access.auth_time as number) + 1) * 1000;
    while (Date.now() < nextSecond) await new Promise((r) => setTimeout(r, 20));
    const login = await signIn.start({ max_age: '0' });
    expect(pageOf(login)).toBe('login');
    const { access, id } = await signIn.tokens(
      await signIn.submit(login, { username: 'alice', password: 'alice' }),
    );
    expect(access.auth_time).toBeGreaterThan(first.access.auth_time as number);
    expect(id.auth_time).toBe(access.auth_time);
  });

  it('shows the current code on the development OTP page, labelled development only', async () => {
    const signIn = new SignIn(idp);
    const otp = await passwordSignIn(signIn, 'admin', { acr_values: 'mfa' });
    const hint = /id="dev-otp-code">Development only: the current code is <strong>(\d{6})</.exec(
      otp.html,
    );
    expect(hint?.[1]).toMatch(/^\d{6}$/);
    expect([totpCode(ADMIN_KEY, -1), totpCode(ADMIN_KEY), totpCode(ADMIN_KEY, 1)]).toContain(
      hint?.[1],
    );
  });
});

describe('brute-force detection counts wrong codes', { timeout: 30_000 }, () => {
  it('locks the user after failureFactor wrong OTP codes: then the right code and the password fail too', async () => {
    const realm = { ...realmJson(), failureFactor: 3, quickLoginCheckMilliSeconds: 1 };
    const strict = await startTestIdp({ realm });
    try {
      const signIn = new SignIn(strict);
      let step = await passwordSignIn(signIn, 'admin', { acr_values: 'mfa' });
      for (const offset of [3, 4, 5]) {
        step = await signIn.submit(step, { otp: totpCode(ADMIN_KEY, offset) });
        expect(pageOf(step)).toBe('otp');
        expect(step.html).toContain('Invalid authenticator code.');
      }
      const locked = await signIn.submit(step, { otp: totpCode(ADMIN_KEY) });
      expect(pageOf(locked)).toBe('otp');
      expect(locked.html).toContain('Invalid authenticator code.');
      const grant = await passwordGrant(strict, 'admin', 'admin');
      expect(grant.body).toMatchObject({
        error: 'invalid_grant',
        error_description: 'Invalid user credentials',
      });
    } finally {
      await strict.close();
    }
  });

  it('counts a wrong otp on the password grant the same way', async () => {
    const realm = { ...realmJson(), failureFactor: 2, quickLoginCheckMilliSeconds: 1 };
    const strict = await startTestIdp({ realm });
    try {
      for (const offset of [3, 4]) {
        const wrong = await passwordGrant(strict, 'admin', 'admin', {
          otp: totpCode(ADMIN_KEY, offset),
        });
        expect(wrong.body.error).toBe('invalid_grant');
      }
      const right = await passwordGrant(strict, 'admin', 'admin', { otp: totpCode(ADMIN_KEY) });
      expect(right.body).toMatchObject({
        error: 'invalid_grant',
        error_description: 'Invalid user credentials',
      });
    } finally {
      await strict.close();
    }
  });
});

describe('the password grant (direct access) and OTP', { timeout: 30_000 }, () => {
  it("reaches mfa with Keycloak's otp parameter and refuses a wrong one as invalid credentials", async () => {
    const wrong = await passwordGrant(idp, 'admin', 'admin', { otp: totpCode(ADMIN_KEY, 4) });
    expect(wrong.status).toBe(401); // Keycloak ValidateOTP: 401 UNAUTHORIZED
    expect(wrong.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Invalid user credentials',
    });
    const right = await passwordGrant(idp, 'admin', 'admin', { otp: totpCode(ADMIN_KEY) });
    expect(right.status).toBe(200);
    const { payload } = (await import('./helpers.js')).decodeJwt(right.body.access_token as string);
    expect(payload).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });
  });
});

describe('the Authentik profile', { timeout: 30_000 }, () => {
  it("says the same through amr (pwd, then mfa) and auth_time, with Authentik's fixed acr", async () => {
    const authentik = await startTestIdp({ profile: 'authentik' });
    try {
      const signIn = new SignIn(authentik);
      const first = await signIn.tokens(await passwordSignIn(signIn, 'admin'));
      expect(first.access).toMatchObject({
        amr: ['pwd'],
        acr: 'goauthentik.io/providers/oauth2/default',
      });
      expect(typeof first.access.auth_time).toBe('number');
      const otp = await signIn.start({ acr_values: 'mfa' });
      expect(pageOf(otp)).toBe('otp');
      const { access, id } = await signIn.tokens(
        await signIn.submit(otp, { otp: totpCode(ADMIN_KEY) }),
      );
      expect(access.amr).toEqual(['pwd', 'mfa']);
      expect(id).toMatchObject({
        amr: ['pwd', 'mfa'],
        acr: 'goauthentik.io/providers/oauth2/default',
      });
      expect(id.auth_time).toBe(access.auth_time);
    } finally {
      await authentik.close();
    }
  });
});

describe('OTP credentials from the realm file', { timeout: 30_000 }, () => {
  it('accepts a base32-encoded credential (credentialData.secretEncoding BASE32) with its own digits', async () => {
    const realm = realmJson();
    const bob = realm.users.find((u) => u.username === 'bob') as Record<string, unknown>;
    (bob.credentials as unknown[]).push({
      type: 'otp',
      secretData: JSON.stringify({ value: 'JBSWY3DPEHPK3PXP' }),
      credentialData: JSON.stringify({
        subType: 'totp',
        digits: 8,
        counter: 0,
        period: 30,
        algorithm: 'HmacSHA1',
        secretEncoding: 'BASE32',
      }),
    });
    const custom = await startTestIdp({ realm });
    try {
      const signIn = new SignIn(custom);
      const otp = await passwordSignIn(signIn, 'bob', { acr_values: 'mfa' });
      expect(pageOf(otp)).toBe('otp');
      // 'Hello!\xDE\xAD\xBE\xEF' is JBSWY3DPEHPK3PXP decoded; 8 digits from the same HMAC.
      const key = Buffer.from('48656c6c6f21deadbeef', 'hex');
      const six = totpCode(key);
      const refusedSix = await signIn.submit(otp, { otp: six });
      expect(pageOf(refusedSix)).toBe('otp');
      const { createHmac } = await import('node:crypto');
      const counter = Buffer.alloc(8);
      counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)));
      const mac = createHmac('sha1', key).update(counter).digest();
      const at = (mac[19] as number) & 0xf;
      const eight = String((mac.readUInt32BE(at) & 0x7fffffff) % 100_000_000).padStart(8, '0');
      const done = await signIn.submit(refusedSix, { otp: eight });
      expect((await signIn.tokens(done)).access.acr).toBe('mfa');
    } finally {
      await custom.close();
    }
  });
});
