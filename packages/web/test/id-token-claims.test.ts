// @vitest-environment node
import * as oauth from 'oauth4webapi';
import { describe, expect, test } from 'vitest';
import {
  checkIdToken,
  ID_TOKEN_CLOCK_TOLERANCE_SEC,
  type IdTokenClaims,
  IdTokenRefusedError,
} from '../src/auth/id-token-claims.js';

const ISSUER = 'https://idp.example/realms/todo-app';
const CLIENT_ID = 'todo-ui';
const NONCE = 'n-0S6_WzA2Mj';
const NOW = 1_800_000_000;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS in compact form; the signature is not read by either side (code flow over TLS). */
function idToken(claims: IdTokenClaims): string {
  return `${base64url({ alg: 'RS256', kid: 'k1' })}.${base64url(claims)}.c2lnbmF0dXJl`;
}

/** What the dev IdP puts in an ID token at sign-in (Keycloak's shape). */
const genuine: IdTokenClaims = {
  iss: ISSUER,
  sub: 'f3c1a3a0-alice',
  aud: CLIENT_ID,
  azp: CLIENT_ID,
  exp: NOW + 300,
  iat: NOW,
  auth_time: NOW - 5,
  nonce: NONCE,
};

function ours(claims: IdTokenClaims): 'accepted' | 'refused' {
  try {
    checkIdToken(idToken(claims), { issuer: ISSUER, clientId: CLIENT_ID, nonce: NONCE, now: NOW });
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(IdTokenRefusedError);
    return 'refused';
  }
}

/**
 * The same token endpoint answer given to oauth4webapi (panva), an independent, certified
 * OpenID Connect relying party implementation, with the same clock and leeway.
 */
async function peer(claims: IdTokenClaims): Promise<'accepted' | 'refused'> {
  const as: oauth.AuthorizationServer = { issuer: ISSUER };
  const client: oauth.Client = {
    client_id: CLIENT_ID,
    [oauth.clockSkew]: NOW - Math.floor(Date.now() / 1000),
    [oauth.clockTolerance]: ID_TOKEN_CLOCK_TOLERANCE_SEC,
  };
  const body = { access_token: 'at', token_type: 'DPoP', id_token: idToken(claims) };
  const response = new Response(JSON.stringify(body), {
    headers: { 'content-type': 'application/json' },
  });
  return oauth
    .processAuthorizationCodeResponse(as, client, response, { expectedNonce: NONCE })
    .then(
      () => 'accepted' as const,
      () => 'refused' as const,
    );
}

const without = (claim: string): IdTokenClaims => {
  const { [claim]: _dropped, ...rest } = genuine;
  return rest;
};

/** Tokens both implementations judge alike (OpenID Connect Core §3.1.3.7). */
const agreed: [string, IdTokenClaims, 'accepted' | 'refused'][] = [
  ['genuine', genuine, 'accepted'],
  ['aud as a one-entry array', { ...genuine, aud: [CLIENT_ID] }, 'accepted'],
  ['several audiences, azp is this app', { ...genuine, aud: [CLIENT_ID, 'todo-api'] }, 'accepted'],
  ['expired within the leeway', { ...genuine, exp: NOW - 30, iat: NOW - 330 }, 'accepted'],
  ['no azp, one audience', without('azp'), 'accepted'],
  ['another issuer (item 2)', { ...genuine, iss: 'https://attacker.example' }, 'refused'],
  ['issuer with a trailing slash', { ...genuine, iss: `${ISSUER}/` }, 'refused'],
  ['no issuer', without('iss'), 'refused'],
  ['another audience (item 3)', { ...genuine, aud: 'todo-cli' }, 'refused'],
  ['this app missing from the audiences', { ...genuine, aud: ['todo-cli', 'x'] }, 'refused'],
  ['no audience', without('aud'), 'refused'],
  [
    'several audiences, no azp (item 4)',
    { ...without('azp'), aud: [CLIENT_ID, 'todo-api'] },
    'refused',
  ],
  [
    'several audiences, azp another client',
    { ...genuine, aud: [CLIENT_ID, 'todo-cli'], azp: 'todo-cli' },
    'refused',
  ],
  ['expired (item 9)', { ...genuine, exp: NOW - 3600, iat: NOW - 3900 }, 'refused'],
  ['expired just beyond the leeway', { ...genuine, exp: NOW - 61, iat: NOW - 361 }, 'refused'],
  ['no exp', without('exp'), 'refused'],
  ['exp as a string', { ...genuine, exp: String(NOW + 300) }, 'refused'],
  ['no iat', without('iat'), 'refused'],
  ['iat as a string', { ...genuine, iat: String(NOW) }, 'refused'],
  ['another nonce (item 11)', { ...genuine, nonce: 'replayed-nonce' }, 'refused'],
  ['no nonce', without('nonce'), 'refused'],
  ['no subject', without('sub'), 'refused'],
  ['not valid yet (nbf)', { ...genuine, nbf: NOW + 3600 }, 'refused'],
];

describe('ID token claims at sign-in, judged as oauth4webapi judges them', () => {
  test.each(agreed)('%s: %s', async (_name, claims, verdict) => {
    expect(ours(claims)).toBe(verdict);
    expect(await peer(claims)).toBe(verdict);
  });

  // Where this app is stricter than the peer, on purpose.
  test('an azp naming another client is refused even with one audience (§3.1.3.7 item 5, SHOULD)', async () => {
    const claims = { ...genuine, azp: 'todo-cli' };
    expect(ours(claims)).toBe('refused');
    expect(await peer(claims)).toBe('accepted');
  });

  test('an iat ahead of this clock beyond the leeway, or after exp, is refused (item 10)', async () => {
    const future = { ...genuine, iat: NOW + 3600, exp: NOW + 3900 };
    const afterExp = { ...genuine, iat: NOW + 30, exp: NOW + 10 };
    expect([ours(future), ours(afterExp)]).toEqual(['refused', 'refused']);
    expect([await peer(future), await peer(afterExp)]).toEqual(['accepted', 'accepted']);
  });
});

describe('what the refusal says', () => {
  const reason = (claims: IdTokenClaims, nonce: string | undefined) => {
    try {
      checkIdToken(idToken(claims), { issuer: ISSUER, clientId: CLIENT_ID, nonce, now: NOW });
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };

  test('names the wrong value, and the clock for a time', () => {
    expect(reason({ ...genuine, iss: 'https://attacker.example' }, NONCE)).toBe(
      `The identity provider's ID token was issued by https://attacker.example, not by ${ISSUER}, so it was not used and you are not signed in with it.`,
    );
    expect(reason({ ...genuine, aud: 'todo-cli' }, NONCE)).toContain(
      'is meant for todo-cli, not for this app (todo-ui)',
    );
    expect(reason({ ...genuine, exp: NOW - 3600, iat: NOW - 3900 }, NONCE)).toContain(
      "expired at 2027-01-15T07:00:00.000Z (this device's clock says 2027-01-15T08:00:00.000Z)",
    );
    expect(reason({ ...genuine, nonce: 'other' }, NONCE)).toContain('does not carry the nonce');
  });

  test('a sign-in that sent no nonce, or a token that is not a JWT, is refused', () => {
    expect(reason(genuine, undefined)).toContain('answers a sign-in that sent no nonce');
    for (const token of [undefined, '', 'a.b', 'not-base64!.%%%.sig', `${base64url({})}.WzFd.x`]) {
      expect(() =>
        checkIdToken(token, { issuer: ISSUER, clientId: CLIENT_ID, nonce: NONCE, now: NOW }),
      ).toThrow(IdTokenRefusedError);
    }
  });
});

describe('a refreshed ID token (OpenID Connect Core §12.2)', () => {
  const refreshed = (claims: IdTokenClaims) => {
    try {
      checkIdToken(idToken(claims), {
        issuer: ISSUER,
        clientId: CLIENT_ID,
        nonce: undefined,
        previous: genuine,
        now: NOW + 600,
      });
      return 'accepted';
    } catch {
      return 'refused';
    }
  };
  const later = { ...genuine, iat: NOW + 600, exp: NOW + 900 };

  test('keeps iss, sub, aud, azp and (if any) nonce of the original, and must be current', () => {
    expect(refreshed(later)).toBe('accepted');
    expect(refreshed({ ...later, nonce: undefined })).toBe('accepted');
    expect(refreshed({ ...later, iss: 'https://attacker.example' })).toBe('refused');
    expect(refreshed({ ...later, sub: 'someone-else' })).toBe('refused');
    expect(refreshed({ ...later, aud: 'todo-cli', azp: 'todo-cli' })).toBe('refused');
    expect(refreshed({ ...later, azp: undefined })).toBe('refused');
    expect(refreshed({ ...later, nonce: 'other' })).toBe('refused');
    expect(refreshed(genuine)).toBe('refused'); // the original, expired by now
  });
});
