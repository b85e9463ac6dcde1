import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { admin, bob } from '@todo-sso/auth/testing';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStepUpHarness } from './support/step-up.js';

const METADATA = 'resource_metadata="http://localhost/.well-known/oauth-protected-resource"';
const ALGS = 'algs="ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519"';

/**
 * A refusal of a DPoP-bound token sent with its proof (RFC 9449 §7.1): the client presented
 * `DPoP` credentials, so the refusal's error is in the DPoP challenge, where such a client
 * looks, with the step-up parameters of RFC 9470 §3 (`acr_values`, `max_age`) or the scope of
 * RFC 6750 §3.1. The Bearer scheme is still offered on a 401, one challenge per scheme.
 */
describe('step-up and scope refusals of DPoP-bound tokens', () => {
  const h = useStepUpHarness();
  const now = () => Math.floor(Date.now() / 1000);
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let jwk: Record<string, unknown>;
  let jkt: string;
  beforeAll(async () => {
    jwk = (await exportJWK(pair.publicKey)) as Record<string, unknown>;
    jkt = await calculateJwkThumbprint(jwk);
  });

  async function call(token: string, url: string) {
    const proof = await new SignJWT({
      jti: randomUUID(),
      htm: 'GET',
      htu: `http://localhost${url}`,
      iat: now(),
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk } as never)
      .sign(pair.privateKey);
    return h.app.inject({ url, headers: { authorization: `DPoP ${token}`, dpop: proof } });
  }

  it('asks for the stronger sign-in in the DPoP challenge, Bearer still offered', async () => {
    const token = await h.idp.accessToken(admin, {
      claims: { acr: 'pwd', auth_time: now(), cnf: { jkt } },
    });
    const res = await call(token, '/admin/audit');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'authentication_too_weak' });
    expect(res.headers['www-authenticate']).toBe(
      `DPoP realm="todo-api", error="insufficient_user_authentication", error_description="This needs a stronger sign-in (mfa)", acr_values="mfa", max_age="900", ${ALGS}, ${METADATA}, Bearer realm="todo-api", ${METADATA}`,
    );
  });

  it('asks for a fresher sign-in the same way (max_age)', async () => {
    const token = await h.idp.accessToken(admin, {
      claims: { acr: 'mfa', auth_time: now() - 901, cnf: { jkt } },
    });
    const res = await call(token, '/admin/todos');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'authentication_too_old' });
    expect(res.headers['www-authenticate']).toBe(
      `DPoP realm="todo-api", error="insufficient_user_authentication", error_description="This needs a sign-in within the last 900 seconds", acr_values="mfa", max_age="900", ${ALGS}, ${METADATA}, Bearer realm="todo-api", ${METADATA}`,
    );
  });

  it('answers a missing permission with the DPoP insufficient_scope challenge alone', async () => {
    const token = await h.idp.accessToken(bob, { claims: { cnf: { jkt } } });
    const res = await call(token, '/reports/summary');
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      `DPoP realm="todo-api", error="insufficient_scope", error_description="Missing permission: reports:generate", scope="reports:generate", ${ALGS}, ${METADATA}`,
    );
  });

  it('serves the bound token with its proof once the sign-in is strong and fresh', async () => {
    const token = await h.idp.accessToken(admin, {
      claims: { acr: 'mfa', auth_time: now() - 60, cnf: { jkt } },
    });
    expect((await call(token, '/admin/audit')).statusCode).toBe(200);
  });
});
