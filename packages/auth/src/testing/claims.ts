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

/** How each provider marks its tokens: header `typ`, `typ` claims, `azp` on ID tokens. */
const MARKS: Readonly<
  Record<
    ProviderProfile,
    {
      readonly accessHeader: string;
      readonly logoutHeader: string;
      readonly logoutTyp?: string;
      readonly idTyp?: string;
      readonly idAzp: boolean;
    }
  >
> = {
  keycloak: {
    accessHeader: 'JWT',
    logoutHeader: 'JWT',
    logoutTyp: 'Logout',
    idTyp: 'ID',
    idAzp: true,
  },
  // Authentik's ID tokens carry no `azp` (only its access tokens do).
  authentik: { accessHeader: 'JWT', logoutHeader: 'logout+jwt', idAzp: false },
  // RFC 9068 `at+jwt` access tokens, OIDC Back-Channel Logout §2.4 `logout+jwt`.
  generic: { accessHeader: 'at+jwt', logoutHeader: 'logout+jwt', idAzp: true },
};

/** Header `typ` per profile and kind (RFC 9068 `at+jwt` for generic access tokens). */
export function headerType(profile: ProviderProfile, kind: TestTokenKind): string {
  if (kind === 'logout') return MARKS[profile].logoutHeader;
  if (kind === 'access') return MARKS[profile].accessHeader;
  return 'JWT';
}

/** What an access token's claims are shaped from. */
interface AccessInput {
  readonly audience: string;
  readonly client: string;
  readonly nowSec: number;
  readonly sessionId: string;
  readonly roles: string[];
  readonly permissions: string[];
}

/** Access-token claims per provider, beyond `iss`, `sub`, `iat`, `jti`, `exp` and the profile. */
const ACCESS_CLAIMS: Readonly<
  Record<ProviderProfile, (a: AccessInput) => Record<string, unknown>>
> = {
  keycloak: (a) => ({
    // Keycloak's audience mapper adds the API next to its default `account`.
    aud: [a.audience, 'account'],
    typ: 'Bearer',
    azp: a.client,
    sid: a.sessionId,
    scope: 'openid profile email',
    realm_access: { roles: a.roles },
    resource_access: {
      ...(a.permissions.length > 0 ? { [a.audience]: { roles: a.permissions } } : {}),
      account: { roles: ['manage-account', 'view-profile'] },
    },
  }),
  // Authentik: `aud` is the requesting client, roles and permissions in one flat `groups`.
  authentik: (a) => ({
    aud: a.client,
    azp: a.client,
    auth_time: a.nowSec,
    sid: a.sessionId,
    scope: 'openid profile email',
    groups: [...a.roles, ...a.permissions],
  }),
  generic: (a) => ({
    aud: a.audience,
    client_id: a.client,
    scope: 'openid profile email',
    roles: a.roles,
    permissions: a.permissions,
  }),
};

/** Claims shaped the way Keycloak, Authentik or a generic provider issue them. */
export function shapeClaims(input: ShapeInput): Record<string, unknown> {
  const { profile, kind, issuer, audience, client, nowSec, sessionId } = input;
  const user = input.user ?? {};
  const marks = MARKS[profile];
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
      ...(marks.logoutTyp === undefined ? {} : { typ: marks.logoutTyp }),
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
      ...(marks.idAzp ? { azp: client } : {}),
      auth_time: nowSec,
      sid: sessionId,
      nonce: randomUUID(),
      at_hash: 'x4Fmz3Jt1bLaYw2Y6v1MOQ',
      ...(marks.idTyp === undefined ? {} : { typ: marks.idTyp }),
      ...profileClaims(user),
    };
  }
  const roles = [...(user.roles ?? [])];
  const permissions = [...(user.permissions ?? [])];
  const claims = ACCESS_CLAIMS[profile]({
    audience,
    client,
    nowSec,
    sessionId,
    roles,
    permissions,
  });
  return { ...base, exp, ...claims, ...profileClaims(user) };
}
