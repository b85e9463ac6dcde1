import { AuthError, createAuthenticator, isAuthError } from '@todo-sso/auth';
import { createRefusalExplainer } from '@todo-sso/auth/diagnose';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let kc: TestIssuer;
beforeAll(async () => {
  kc = await startTestIssuer({ profile: 'keycloak' });
});
afterAll(async () => {
  await kc.close();
});

/** The authenticator's real refusal of `token` under `options`. */
async function refusal(token: string, options = kc.issuerOptions()): Promise<AuthError> {
  const auth = createAuthenticator({ issuers: [options] });
  try {
    await auth.authenticate(token);
  } catch (e) {
    if (isAuthError(e)) return e;
    throw e;
  }
  throw new Error('the token was accepted');
}

describe('createRefusalExplainer', () => {
  it('explains audience_mismatch with the accepted audience and the token’s aud', async () => {
    const token = await kc.accessToken(alice, { claims: { aud: 'account' } });
    const explain = createRefusalExplainer([kc.issuerOptions()]);
    expect(explain(await refusal(token), token)).toEqual({
      expected: 'todo-api',
      received: 'account',
    });
  });

  it('explains issuer_unknown with the trusted issuer and the token’s iss', async () => {
    const options = kc.issuerOptions({ issuer: `${kc.issuer}/` });
    const token = await kc.accessToken(alice);
    const explanation = createRefusalExplainer([options])(await refusal(token, options), token);
    expect(explanation).toEqual({ expected: `${kc.issuer}/`, received: kc.issuer });
  });

  it('explains issuer_unknown with the trusted issuer closest to the token’s iss', async () => {
    const other = kc.issuerOptions({ issuer: 'https://idp.example.com/realms/other' });
    const options = kc.issuerOptions({ issuer: `${kc.issuer}/` });
    const token = await kc.accessToken(alice);
    const error = await refusal(token, options);
    expect(error.code).toBe('issuer_unknown');
    for (const issuers of [
      [other, options],
      [options, other],
    ])
      expect(createRefusalExplainer(issuers)(error, token)).toEqual({
        expected: `${kc.issuer}/`,
        received: kc.issuer,
      });
  });

  it('explains token_type_invalid for an ID token', async () => {
    const token = await kc.idToken(alice);
    const explanation = createRefusalExplainer([kc.issuerOptions()])(await refusal(token), token);
    expect(explanation).toEqual({
      expected: 'the access_token of the token response',
      received: 'an ID token (aud todo-ui)',
    });
  });

  // RFC 9068 §4, held for an issuer with requireAtJwtTyp: Keycloak's default `typ: "JWT"` is an
  // access token all the same, so the explanation is the header, not "send the access token".
  it('explains token_type_invalid of a JWT-typed access token where at+jwt is required', async () => {
    const options = kc.issuerOptions({ requireAtJwtTyp: true });
    const token = await kc.accessToken(alice);
    const error = await refusal(token, options);
    expect(error.code).toBe('token_type_invalid');
    expect(createRefusalExplainer([options])(error, token)).toEqual({
      expected: 'header typ at+jwt',
      received: 'header typ JWT',
    });
    // An ID token is still told apart as one.
    const id = await kc.idToken(alice, { header: { typ: 'JWT' } });
    const wide = kc.issuerOptions({ requireAtJwtTyp: true, audience: ['todo-api', 'todo-ui'] });
    expect(createRefusalExplainer([wide])(await refusal(id, wide), id)).toMatchObject({
      expected: 'the access_token of the token response',
    });
  });

  it('explains a claim-mapping refusal with the claim path and what it held', async () => {
    const token = await kc.accessToken(alice, { claims: { resource_access: undefined } });
    const principal = await createAuthenticator({ issuers: [kc.issuerOptions()] }).authenticate(
      token,
    );
    const error = new AuthError('insufficient_permission', 'Missing todos:write', {
      missing: ['todos:write'],
    });
    expect(createRefusalExplainer([kc.issuerOptions()])(error, token, principal)).toEqual({
      expected: 'resource_access.todo-api.roles containing todos:write',
      received: '(absent or empty)',
    });
    const role = new AuthError('insufficient_permission', 'Admins only', { missing: ['admin'] });
    expect(createRefusalExplainer([kc.issuerOptions()])(role, token, principal)).toBeUndefined();
  });

  it('explains nothing else, and never returns the token', async () => {
    const expired = await kc.accessToken(alice, { expiresInSec: -120 });
    const explain = createRefusalExplainer([kc.issuerOptions()]);
    expect(explain(await refusal(expired), expired)).toBeUndefined();
    const token = await kc.accessToken(alice, { claims: { aud: ['account', 'x'.repeat(500)] } });
    const explanation = explain(await refusal(token), token);
    expect(explanation?.received.length).toBeLessThanOrEqual(201);
    const text = JSON.stringify(explanation);
    for (const part of token.split('.')) expect(text).not.toContain(part);
  });
});
