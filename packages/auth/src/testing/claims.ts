import { randomUUID } from 'node:crypto';
import type { ProviderProfile } from '../options.js';
import type { TestUser } from './users.js';

/** Which kind of token to shape. */
export type TestTokenKind = 'access' | 'id' | 'refresh' | 'logout';

/** Per-token choices; every claim and header can still be overridden afterwards. */
export interface ShapeInput {
  readonly profile: ProviderProfile;
  readonly kind: TestTokenKind;
  readonly issuer: string;
  /** The API audience (`todo-api`). */
  readonly audience: string;
  /** The client the token was issued to (`azp`). */
  readonly client: string;
  readonly user?: Partial<TestUser>;
  readonly nowSec: number;
  readonly expiresInSec: number;
  readonly sessionId: string;
}

const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';

function profileClaims(user: Partial<TestUser>): Record<string, unknown> {
  return {
    ...(user.username === undefined ? {} : { preferred_username: user.username }),
    ...(user.email === undefined ? {} : { email: user.email, email_verified: true }),
    ...(user.name === undefined ? {} : { name: user.name }),
    ...(user.department === undefined ? {} : { department: user.department }),
  };
}

/** Header `typ` per profile and kind (RFC 9068 `at+jwt` for generic access tokens). */
export function headerType(profile: ProviderProfile, kind: TestTokenKind): string {
  if (kind === 'logout') return profile === 'keycloak' ? 'JWT' : 'logout+jwt';
  if (kind === 'access' && profile === 'generic') return 'at+jwt';
  return 'JWT';
}

/** Claims shaped the way Keycloak, Authentik or a generic provider issue them. */
export function shapeClaims(input: ShapeInput): Record<string, unknown> {
  const { profile, kind, issuer, audience, client, nowSec, sessionId } = input;
  const user = input.user ?? {};
  const base: Record<string, unknown> = {
    iss: issuer,
    ...(user.sub === undefined ? {} : { sub: user.sub }),
    iat: nowSec,
    jti: randomUUID(),
  };
  if (kind === 'logout') {
    return {
      ...base,
      aud: client,
      exp: nowSec + input.expiresInSec,
      sid: sessionId,
      events: { [BACKCHANNEL_LOGOUT]: {} },
      ...(profile === 'keycloak' ? { typ: 'Logout' } : {}),
    };
  }
  const exp = nowSec + input.expiresInSec;
  if (kind === 'refresh') {
    // Keycloak refresh tokens: `typ: "Refresh"`, audience the issuer itself.
    return {
      ...base,
      exp,
      aud: issuer,
      azp: client,
      sid: sessionId,
      scope: 'openid profile email',
      typ: 'Refresh',
    };
  }
  if (kind === 'id') {
    return {
      ...base,
      exp,
      aud: client,
      // Authentik's ID tokens carry no `azp` (only its access tokens do).
      ...(profile === 'authentik' ? {} : { azp: client }),
      auth_time: nowSec,
      sid: sessionId,
      nonce: randomUUID(),
      at_hash: 'x4Fmz3Jt1bLaYw2Y6v1MOQ',
      ...(profile === 'keycloak' ? { typ: 'ID' } : {}),
      ...profileClaims(user),
    };
  }
  const roles = [...(user.roles ?? [])];
  const permissions = [...(user.permissions ?? [])];
  if (profile === 'keycloak') {
    return {
      ...base,
      exp,
      // Keycloak's audience mapper adds the API next to its default `account`.
      aud: [audience, 'account'],
      typ: 'Bearer',
      azp: client,
      sid: sessionId,
      scope: 'openid profile email',
      realm_access: { roles },
      resource_access: {
        ...(permissions.length > 0 ? { [audience]: { roles: permissions } } : {}),
        account: { roles: ['manage-account', 'view-profile'] },
      },
      ...profileClaims(user),
    };
  }
  if (profile === 'authentik') {
    // Authentik: `aud` is the requesting client, roles and permissions in one flat `groups`.
    return {
      ...base,
      exp,
      aud: client,
      azp: client,
      auth_time: nowSec,
      sid: sessionId,
      scope: 'openid profile email',
      groups: [...roles, ...permissions],
      ...profileClaims(user),
    };
  }
  return {
    ...base,
    exp,
    aud: audience,
    client_id: client,
    scope: 'openid profile email',
    roles,
    permissions,
    ...profileClaims(user),
  };
}
