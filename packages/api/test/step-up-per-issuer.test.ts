import { admin, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, mfaClaims, startInstance, testConfig } from './support/harness.js';
import { startToExit } from './support/start-to-exit.js';

/**
 * docs/step-up.md, "Several issuers": an `OIDC_ISSUERS` entry's own levels (`acrLevels`) rank
 * its tokens' `acr`, and its `stepUpAcr` is what admin work asks of it (RFC 9470 §3).
 */
describe('step-up levels per issuer (OIDC_ISSUERS acrLevels and stepUpAcr)', () => {
  let home: TestIssuer;
  let partner: TestIssuer;
  let database: TestDatabase;
  let api: Instance;
  beforeAll(async () => {
    home = await startTestIssuer({ profile: 'keycloak' });
    partner = await startTestIssuer({ profile: 'keycloak' });
    database = sqliteDatabase();
    const issuers = [
      // OIDC_ACR_LEVELS (pwd,mfa) and STEP_UP_ACR (mfa), the defaults.
      { issuer: home.issuer, provider: 'keycloak', audience: 'todo-api' },
      {
        issuer: partner.issuer,
        provider: 'keycloak',
        audience: 'todo-api',
        acrLevels: ['bronze', 'silver', 'gold'],
        stepUpAcr: 'silver',
      },
    ];
    const env = { OIDC_ISSUERS: JSON.stringify(issuers), STEP_UP_MAX_AGE_SECONDS: '900' };
    api = await startInstance(testConfig(home, database.config, env));
  });
  afterAll(async () => {
    await api?.close();
    await home?.close();
    await partner?.close();
    await database?.drop();
  });

  /** `GET /admin/users` with an admin token of `idp` at `acr`, signed in `age` seconds ago. */
  const adminCall = async (idp: TestIssuer, acr: string, age = 0) => {
    const claims = { ...mfaClaims(Math.floor(Date.now() / 1000) - age), acr };
    const token = await idp.accessToken(admin, { claims });
    return api.app.inject({
      method: 'GET',
      url: '/admin/users',
      headers: { authorization: `Bearer ${token}` },
    });
  };

  it('ranks each token in its own issuer’s levels', async () => {
    expect((await adminCall(home, 'mfa')).statusCode).toBe(200);
    expect((await adminCall(partner, 'silver')).statusCode).toBe(200);
    expect((await adminCall(partner, 'gold')).statusCode).toBe(200);
    const bronze = await adminCall(partner, 'bronze');
    expect(bronze.statusCode).toBe(401);
    expect(bronze.json().code).toBe('authentication_too_weak');
  });

  it('counts no level of one issuer in a token of the other', async () => {
    // `mfa` is the admin level at home, and no level at all at the partner: below every one.
    const mfaAtPartner = await adminCall(partner, 'mfa');
    expect(mfaAtPartner.statusCode).toBe(401);
    expect(mfaAtPartner.json().code).toBe('authentication_too_weak');
    // `gold`, the partner's strongest, is no level at home.
    const goldAtHome = await adminCall(home, 'gold');
    expect(goldAtHome.statusCode).toBe(401);
    expect(goldAtHome.json().code).toBe('authentication_too_weak');
  });

  it('names the token’s issuer’s level in the challenge (RFC 9470 §3 acr_values)', async () => {
    const atHome = await adminCall(home, 'pwd');
    expect(atHome.headers['www-authenticate']).toMatch(
      /^Bearer .*error="insufficient_user_authentication".*acr_values="mfa", max_age="900"/,
    );
    expect(atHome.json().detail).toContain('(mfa)');
    const atPartner = await adminCall(partner, 'mfa');
    expect(atPartner.headers['www-authenticate']).toMatch(
      /^Bearer .*error="insufficient_user_authentication".*acr_values="silver", max_age="900"/,
    );
    expect(atPartner.json().detail).toContain('(silver)');
    // A sign-in strong enough but too old is asked for the same level of its issuer, afresh.
    const old = await adminCall(partner, 'gold', 1000);
    expect(old.statusCode).toBe(401);
    expect(old.json().code).toBe('authentication_too_old');
    expect(old.headers['www-authenticate']).toMatch(/acr_values="silver", max_age="900"/);
  });
});

describe('refusing ambiguous or malformed per-issuer levels at start-up', () => {
  const entry = (extra: object) => ({ issuer: 'https://partner.example.com', ...extra });
  const load = (extra: object, env: Record<string, string> = {}) =>
    loadConfig({
      OIDC_ISSUERS: JSON.stringify([{ issuer: 'https://sso.example.com/realms/a' }, entry(extra)]),
      ...env,
    });

  it('refuses a level named twice, an empty one or an empty list, naming the field', () => {
    expect(() => load({ acrLevels: 'low,mfa,low' })).toThrow(
      /^OIDC_ISSUERS\[1\]\.acrLevels: names a level twice/,
    );
    expect(() => load({ acrLevels: ['low', ' ', 'mfa'] })).toThrow(
      /^OIDC_ISSUERS\[1\]\.acrLevels: names an empty level/,
    );
    const form = /^OIDC_ISSUERS\[1\]\.acrLevels: must be a non-empty list of level names/;
    expect(() => load({ acrLevels: [] })).toThrow(form);
    expect(() => load({ acrLevels: 'low,,mfa' })).toThrow(form);
  });

  it('refuses levels that leave the level admin work asks of the issuer to a guess', () => {
    expect(() => load({ acrLevels: 'bronze,gold' })).toThrow(
      /^OIDC_ISSUERS\[1\]\.stepUpAcr: is needed: STEP_UP_ACR \(mfa\) is not one of this entry's acrLevels \(bronze, gold\)/,
    );
    expect(() => load({ acrLevels: 'bronze,gold', stepUpAcr: 'platinum' })).toThrow(
      /^OIDC_ISSUERS\[1\]\.stepUpAcr: must be one of this entry's acrLevels \(bronze, gold\)/,
    );
    // Without levels of its own, the entry's stepUpAcr is one of OIDC_ACR_LEVELS.
    expect(() => load({ stepUpAcr: 'gold' })).toThrow(
      /^OIDC_ISSUERS\[1\]\.stepUpAcr: must be one of OIDC_ACR_LEVELS \(pwd, mfa\)/,
    );
    expect(() => load({ stepUpAcr: 'mfa' }, { STEP_UP_ACR: '' })).toThrow(
      /^OIDC_ISSUERS\[1\]\.stepUpAcr: is set but STEP_UP_ACR is empty/,
    );
  });

  it('keeps OIDC_ACR_LEVELS and STEP_UP_ACR for the entries that set none', () => {
    const config = load(
      { acrLevels: ['bronze', 'gold'], stepUpAcr: 'gold' },
      { OIDC_ACR_LEVELS: 'pwd,otp,hwk', STEP_UP_ACR: 'otp' },
    );
    expect(config.acrLevels).toEqual(['pwd', 'otp', 'hwk']);
    expect(config.stepUp.acr).toBe('otp');
    expect(config.issuers[0]?.acrLevels).toBeUndefined();
    expect(config.issuers[1]).toMatchObject({ acrLevels: ['bronze', 'gold'], stepUpAcr: 'gold' });
  });

  it('stops the API before it listens, with the message naming the field', async () => {
    const issuers = [{ issuer: 'https://sso.example.com/realms/a', acrLevels: 'bronze,gold' }];
    const { code, lines } = await startToExit({ OIDC_ISSUERS: JSON.stringify(issuers) });
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toContain('OIDC_ISSUERS[0].stepUpAcr: is needed');
  });
});
