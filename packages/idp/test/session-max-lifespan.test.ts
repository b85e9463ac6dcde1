import { startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  clientOf,
  decodeJwt,
  form,
  passwordGrant,
  pkce,
  realmJson,
  redeemCode,
  startLogoutReceiver,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

/**
 * Keycloak's SSO Session Max: a session ends `ssoSessionMaxLifespan` seconds after sign-in however
 * active it is, and its refresh tokens with it. The IdP counts in whole seconds of `Date.now()`
 * (oidc-provider's token times, the store's expiry), and these tests are about which second each
 * step falls in. They set that clock themselves: `Date` is faked (timers are not) and moved to
 * 300 ms into the second each step names, so a step cannot slip into the next second however slow
 * the machine; a password grant that took 0.7 s under load once did, with the real clock. The
 * store still looks for expired sessions on its real 1 s timer.
 */
const IDLE = 3;
const MAX = 4;
const REDIRECT = 'http://localhost:3000/callback';
/** The store's sweep interval, which ends expired sessions (and sends their logout tokens). */
const SWEEP_MS = 1000;

let lively: TestIdp; // idle 3 s, max 4 s: refreshes keep the session past its idle timeout
let capped: TestIdp; // idle 30 s, max 2 s: the max lifespan wins over a longer idle timeout
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;

beforeAll(async () => {
  receiver = await startLogoutReceiver();
  const realm = realmJson();
  for (const id of ['todo-ui', 'todo-cli']) {
    const client = clientOf(realm, id);
    client.attributes = { ...client.attributes, 'backchannel.logout.url': receiver.url };
  }
  [lively, capped] = await Promise.all([
    startTestIdp({ realm, ssoSessionIdleTimeout: IDLE, ssoSessionMaxLifespan: MAX }),
    startTestIdp({ realm, ssoSessionIdleTimeout: 30, ssoSessionMaxLifespan: 2 }),
  ]);
});
afterAll(async () => {
  await Promise.all([lively?.close(), capped?.close(), receiver?.close()]);
});

/** Moves the faked clock forward to `seconds` (epoch) + 300 ms. */
function at(seconds: number): void {
  const target = seconds * 1000 + 300;
  if (target < Date.now()) throw new Error(`the test clock cannot go back to ${target}`);
  vi.setSystemTime(target);
}

/** The next second, 300 ms in: a fresh second for a sign-in. */
function nextSecond(): number {
  const second = Math.floor(Date.now() / 1000) + 1;
  at(second);
  return second;
}

/**
 * A password grant made 300 ms into a fresh second, so that the session's sign-in time (which the
 * password grant's tokens do not state) is that second; the refresh token's `iat` confirms it.
 */
async function passwordGrantAtSecondStart(idp: TestIdp, username: string) {
  const authTime = nextSecond();
  const { status, body } = await passwordGrant(idp, username, username, { scope: 'openid' });
  const refreshJwt = decodeJwt(body.refresh_token as string).payload;
  return { status, body, authTime, iat: refreshJwt.iat as number, exp: refreshJwt.exp as number };
}

async function refresh(idp: TestIdp, clientId: string, refreshToken: string) {
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Signs in to todo-ui through the login page; returns the tokens and the sign-in time. */
async function codeFlowLogin(idp: TestIdp, browser: Browser, username: string) {
  const { verifier, challenge } = pkce();
  const params = {
    client_id: 'todo-ui',
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    // OpenID Connect Core §3.1.2.1: with max_age the ID token must carry auth_time.
    max_age: '60',
  };
  const signedInAt = nextSecond();
  const { code } = await authorizationCodeLogin(idp, browser, params, username);
  const { body: tokens } = await redeemCode(idp, code, verifier, REDIRECT);
  const idToken = decodeJwt(tokens.id_token as string).payload;
  expect(idToken.auth_time).toBe(signedInAt);
  return { params, tokens, authTime: signedInAt, sid: idToken.sid as string };
}

const logoutTokensFor = (sid: string) =>
  receiver.tokens.filter((t) => decodeJwt(t).payload.sid === sid);

/** Resolves with the first logout token for `sid`, or undefined after `timeoutMs` (real time). */
async function logoutTokenFor(sid: string, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const [token] = logoutTokensFor(sid);
    if (token) return decodeJwt(token).payload;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/**
 * A second before the max lifespan, over a whole sweep interval (real time), no logout token
 * went out for `sid`; at the max lifespan one does. Returns it.
 */
async function loggedOutAtMaxLifespan(sid: string, authTime: number, max: number) {
  at(authTime + max - 1);
  await new Promise((r) => setTimeout(r, SWEEP_MS + 100));
  expect(logoutTokensFor(sid)).toEqual([]);
  at(authTime + max);
  return logoutTokenFor(sid, 5000);
}

// The tests share the faked clock, so they run one after the other.
describe('ssoSessionMaxLifespan ends an SSO session however active it is', () => {
  beforeAll(() => {
    const now = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('a code-flow session refreshed every second outlives its idle timeout, then refresh gets 400 invalid_grant at the max lifespan and the login page shows again', async () => {
    const browser = new Browser();
    const { params, tokens, authTime } = await codeFlowLogin(lively, browser, 'alice');
    let refreshToken = tokens.refresh_token as string;
    for (const second of [1, 2, 3]) {
      at(authTime + second);
      const { status, body } = await refresh(lively, 'todo-ui', refreshToken);
      expect({ second, status }).toEqual({ second, status: 200 });
      refreshToken = body.refresh_token as string;
    }
    // The refresh at auth_time + 3.3 s came after the idle timeout counted from sign-in: only the
    // refreshes kept the session alive. Idle alone would now keep it until auth_time + 6.
    at(authTime + MAX);
    const late = await refresh(lively, 'todo-ui', refreshToken);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');

    // The browser's SSO session ended too: no silent sign-in, the login page is back.
    const again = await authorizationCodeLogin(lively, browser, params, 'alice', 'wrong');
    expect(again.loginPage).toContain('Invalid username or password.');
  });

  it('password grant: refresh_expires_in and the refresh token exp shrink to the time left until the max lifespan', async () => {
    const first = await passwordGrantAtSecondStart(lively, 'bob');
    expect(first.status).toBe(200);
    const { authTime } = first;
    expect(first.iat).toBe(authTime);
    const seen = [Number(first.body.refresh_expires_in)];
    let refreshToken = first.body.refresh_token as string;
    for (const second of [1, 2, 3]) {
      at(authTime + second);
      const { status, body } = await refresh(lively, 'todo-cli', refreshToken);
      expect(status).toBe(200);
      refreshToken = body.refresh_token as string;
      seen.push(body.refresh_expires_in as number);
      const { iat, exp } = decodeJwt(refreshToken).payload as { iat: number; exp: number };
      expect(exp).toBeLessThanOrEqual(authTime + MAX);
      expect(exp - iat).toBe(body.refresh_expires_in);
    }
    // min(idle 3, max 4 − elapsed) at elapsed 0, 1, 2 and 3 s.
    expect(seen).toEqual([IDLE, IDLE, 2, 1]);

    at(authTime + MAX);
    const late = await refresh(lively, 'todo-cli', refreshToken);
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a max lifespan shorter than the idle timeout wins: the password-grant refresh token ends at auth_time + max and a logout token is sent', async () => {
    const { status, body, authTime, iat, exp } = await passwordGrantAtSecondStart(capped, 'carol');
    expect(status).toBe(200);
    expect(iat).toBe(authTime);
    const idToken = decodeJwt(body.id_token as string).payload;
    expect(exp).toBe(authTime + 2);
    expect(body.refresh_expires_in).toBe(exp - iat);

    // Sent once the max lifespan passed, long before the 30 s idle timeout.
    const logout = await loggedOutAtMaxLifespan(idToken.sid as string, authTime, 2);
    expect(logout).toMatchObject({ aud: 'todo-cli', sub: idToken.sub, iss: capped.issuer });
    const late = await refresh(capped, 'todo-cli', body.refresh_token as string);
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a browser session that reaches its max lifespan sends todo-ui a back-channel logout token for its sid', async () => {
    const { tokens, authTime, sid } = await codeFlowLogin(capped, new Browser(), 'testuser');
    expect(Number(tokens.refresh_expires_in)).toBeLessThanOrEqual(2);
    const logout = await loggedOutAtMaxLifespan(sid, authTime, 2);
    expect(logout).toMatchObject({ aud: 'todo-ui', sid, iss: capped.issuer });
  });
});

describe('startIdp timeout overrides', () => {
  it('refuses a non-positive or fractional ssoSessionMaxLifespan override with a TypeError naming it', async () => {
    for (const value of [0, -3, 2.5]) {
      await expect(startIdp({ port: 0, ssoSessionMaxLifespan: value })).rejects.toThrow(
        new TypeError(`ssoSessionMaxLifespan must be a positive integer (seconds), got ${value}`),
      );
    }
  });
});
