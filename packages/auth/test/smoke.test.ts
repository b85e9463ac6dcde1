import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer } from '@todo-sso/auth/testing';
import { expect, test } from 'vitest';

test('accepts a Keycloak access token for alice and maps her roles and permissions', async () => {
  const idp = await startTestIssuer({ profile: 'keycloak' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const p = await auth.authenticate(await idp.accessToken(alice));
    expect(p.subject).toBe(alice.sub);
    expect(p.roles).toEqual(['user']);
    expect(p.permissions).toEqual(['todos:read', 'todos:write']);
    expect(p.attributes).toEqual({ department: 'engineering' });
  } finally {
    await idp.close();
  }
});
