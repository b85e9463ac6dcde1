import { createAuthenticator } from '@todo-sso/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientOf,
  form,
  passwordGrant,
  realmJson,
  startLogoutReceiver,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
let authentik: TestIdp;
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;

beforeAll(async () => {
  receiver = await startLogoutReceiver();
  const realm = realmJson();
  const cli = clientOf(realm, 'todo-cli');
  cli.attributes = { ...cli.attributes, 'backchannel.logout.url': receiver.url };
  idp = await startTestIdp({ realm });
  authentik = await startTestIdp({ profile: 'authentik' });
});
afterAll(async () => {
  await idp.close();
  await authentik.close();
  await receiver.close();
});

// The department attribute is the app's vocabulary: the auth package copies no claim unless told.
const department = { attributeClaims: ['department'] };

describe('@todo-sso/auth accepts tokens of the dev IdP, configured with the issuer, audience and attribute claim', () => {
  it('verifies a Keycloak-profile token and maps roles, permissions and department', async () => {
    const auth = createAuthenticator({
      issuers: [{ issuer: idp.issuer, audience: 'todo-api', profile: 'keycloak', ...department }],
    });
    try {
      const { body } = await passwordGrant(idp, 'carol');
      const principal = await auth.authenticate(body.access_token as string);
      expect(principal).toMatchObject({
        issuer: idp.issuer,
        subject: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e03',
        username: 'carol',
        roles: ['user'],
        isAdmin: false,
        attributes: { department: 'engineering' },
        clientId: 'todo-cli',
      });
      expect([...principal.permissions].sort()).toEqual([
        'reports:generate',
        'todos:read',
        'todos:write',
      ]);
      expect(principal.sessionId).toBeTruthy();

      const admin = await auth.authenticate((await passwordGrant(idp, 'admin')).body.access_token);
      expect(admin.isAdmin).toBe(true);
    } finally {
      auth.close();
    }
  });

  it('verifies an Authentik-profile token with audience todo-cli and the groups claim', async () => {
    const auth = createAuthenticator({
      issuers: [
        { issuer: authentik.issuer, audience: 'todo-cli', profile: 'authentik', ...department },
      ],
    });
    try {
      const { body } = await passwordGrant(authentik, 'alice');
      const principal = await auth.authenticate(body.access_token as string);
      expect(principal.username).toBe('alice');
      expect(principal.roles).toContain('user');
      expect(principal.attributes).toMatchObject({ department: 'engineering' });
    } finally {
      auth.close();
    }
  });

  it('introspects through todo-api credentials, and validates the logout token the IdP sends', async () => {
    const auth = createAuthenticator({
      issuers: [
        {
          issuer: idp.issuer,
          audience: 'todo-api',
          profile: 'keycloak',
          verify: 'introspect',
          clientId: 'todo-api',
          clientSecret: 'todo-api-secret',
          ...department,
        },
      ],
    });
    try {
      const { body } = await passwordGrant(idp, 'bob');
      const principal = await auth.introspect(body.access_token as string);
      expect(principal).toMatchObject({ username: 'bob', attributes: { department: 'sales' } });

      const res = await fetch(
        idp.discovery.end_session_endpoint as string,
        form({ client_id: 'todo-cli', refresh_token: body.refresh_token as string }),
      );
      expect(res.status).toBe(204);
      const [logoutToken] = await receiver.waitFor(1);
      const receiverAuth = createAuthenticator({
        issuers: [{ issuer: idp.issuer, audience: 'todo-api', profile: 'keycloak', ...department }],
      });
      const claims = await receiverAuth.verifyLogoutToken(logoutToken as string, [
        'todo-ui',
        'todo-cli',
      ]);
      receiverAuth.close();
      expect(claims.sessionId).toBe(principal.sessionId);
      expect(claims.subject).toBe(principal.subject);
    } finally {
      auth.close();
    }
  });
});
