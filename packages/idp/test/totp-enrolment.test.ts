import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotp, totp } from '../src/otp/totp.js';
import { realmJson, startTestIdp } from './helpers.js';
import { base32ToBuffer, pageOf, SignIn, totpCode } from './step-up-helpers.js';

describe('TOTP against RFC 6238 Appendix B (and HOTP against RFC 4226 Appendix D)', {
  timeout: 30_000,
}, () => {
  const sha1 = Buffer.from('12345678901234567890');
  const sha256 = Buffer.from('12345678901234567890123456789012');
  const sha512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234');
  it.each([
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ])('at T=%i gives the RFC test vectors', (seconds, s1, s256, s512) => {
    const at = seconds * 1000;
    expect(totp(sha1, { algorithm: 'HmacSHA1', digits: 8, period: 30 }, at)).toBe(s1);
    expect(totp(sha256, { algorithm: 'HmacSHA256', digits: 8, period: 30 }, at)).toBe(s256);
    expect(totp(sha512, { algorithm: 'HmacSHA512', digits: 8, period: 30 }, at)).toBe(s512);
  });
  it('HOTP counters 0 and 9 give 755224 and 520489', () => {
    expect(hotp(sha1, 0, 'HmacSHA1', 6)).toBe('755224');
    expect(hotp(sha1, 9, 'HmacSHA1', 6)).toBe('520489');
  });
});

describe('the CONFIGURE_TOTP required action', { timeout: 30_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-enrol-'));
  const realm = realmJson();
  const alice = realm.users.find((u) => u.username === 'alice') as Record<string, unknown>;
  alice.requiredActions = ['CONFIGURE_TOTP'];
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  let key: Buffer;
  it('after the password, shows a QR code and the secret; a code computed from the shown secret enrols it', async () => {
    const idp = await startTestIdp({ realm, dataDir });
    try {
      const signIn = new SignIn(idp);
      const login = await signIn.start();
      const enrol = await signIn.submit(login, { username: 'alice', password: 'alice' });
      expect(pageOf(enrol)).toBe('configure-totp');
      expect(enrol.html).toMatch(/<svg[^>]*viewBox/);
      const shown = /id="kc-totp-secret-key">([A-Z2-7 ]+)</.exec(enrol.html)?.[1] as string;
      expect(shown).toBeTruthy();
      key = base32ToBuffer(shown.replace(/ /g, ''));
      expect(key.length).toBe(20);

      const wrong = await signIn.submit(enrol, { totp: totpCode(key, 5) });
      expect(pageOf(wrong)).toBe('configure-totp');
      expect(wrong.html).toContain('Invalid authenticator code.');
      // The same secret is offered again after a wrong code.
      expect(wrong.html).toContain(shown);

      const done = await signIn.submit(wrong, { totp: totpCode(key), userLabel: 'phone' });
      expect(pageOf(done)).toBe('done');
      const { access } = await signIn.tokens(done);
      expect(access).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });

      // The required action is done: the next password sign-in is password-only again.
      const next = new SignIn(idp);
      const plain = await next.submit(await next.start(), { username: 'alice', password: 'alice' });
      expect(pageOf(plain)).toBe('done');
    } finally {
      await idp.close();
    }
    const stored = JSON.parse(readFileSync(join(dataDir, 'users.json'), 'utf8'));
    expect(Object.values(stored.users)).toHaveLength(1);
  });

  it('keeps the enrolled authenticator across a restart (DATA_DIR), and a step-up accepts its codes', async () => {
    const idp = await startTestIdp({ realm, dataDir });
    try {
      const signIn = new SignIn(idp);
      const otp = await signIn.submit(await signIn.start({ acr_values: 'mfa' }), {
        username: 'alice',
        password: 'alice',
      });
      expect(pageOf(otp)).toBe('otp');
      const done = await signIn.submit(otp, { otp: totpCode(key, 1) });
      expect((await signIn.tokens(done)).access.acr).toBe('mfa');
    } finally {
      await idp.close();
    }
  });
});

describe('a user without an authenticator asked for mfa', { timeout: 30_000 }, () => {
  let idp: Awaited<ReturnType<typeof startTestIdp>>;
  beforeAll(async () => {
    idp = await startTestIdp();
  });
  afterAll(async () => idp.close());

  it("is taken to the authenticator enrolment, as Keycloak's OTP form requires", async () => {
    const signIn = new SignIn(idp);
    const enrol = await signIn.submit(await signIn.start({ acr_values: 'mfa' }), {
      username: 'bob',
      password: 'bob',
    });
    expect(pageOf(enrol)).toBe('configure-totp');
  });
});
