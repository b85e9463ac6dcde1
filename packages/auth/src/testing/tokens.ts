import { randomBytes, randomUUID } from 'node:crypto';
import { type CryptoKey, SignJWT } from 'jose';
import type { ProviderProfile } from '../options.js';
import { headerType, shapeClaims, type TestTokenKind } from './claims.js';
import type { SigningKey } from './keys.js';
import type { TestIssuer, TestTokenOptions } from './types.js';
import type { TestUser } from './users.js';

/** What minting needs: the issuer's identity and defaults, and its current key when signing. */
export interface TokenSettings {
  readonly profile: ProviderProfile;
  readonly issuer: string;
  readonly audience: string;
  /** Default `azp` / client of a token. */
  readonly client: string;
  /** Default access-token lifetime in seconds. */
  readonly lifetime: number;
  readonly now: () => number;
  /** The key new tokens are signed with (it changes when keys rotate). */
  currentKey(): SigningKey;
  /** Remembers an opaque token's claims for the introspection endpoint. */
  storeOpaque(token: string, claims: Record<string, unknown>): void;
}

/** Sets each override on `target`; one set to `undefined` removes the member. */
function applyOverrides(
  target: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
) {
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete target[k];
    else target[k] = v;
  }
  return target;
}

/** Signs claims as a compact JWS; header members are overridable (adversarial tests). */
async function signJws(
  claims: Record<string, unknown>,
  header: Record<string, unknown>,
  key: SigningKey,
): Promise<string> {
  const protectedHeader = applyOverrides({ alg: key.alg, kid: key.kid, typ: 'JWT' }, header);
  return new SignJWT(claims)
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(key.privateKey as CryptoKey);
}

/** The profile-shaped claims of a token of `kind` for `user`, with the per-token overrides. */
function claimsFor(
  settings: TokenSettings,
  kind: TestTokenKind,
  user: Partial<TestUser> | undefined,
  o: TestTokenOptions,
): Record<string, unknown> {
  const claims = shapeClaims({
    profile: settings.profile,
    kind,
    issuer: settings.issuer,
    audience: settings.audience,
    client: o.client ?? settings.client,
    ...(user === undefined ? {} : { user }),
    nowSec: o.issuedAt ?? Math.floor(settings.now() / 1000),
    expiresInSec:
      o.expiresInSec ?? (kind === 'refresh' ? 1800 : kind === 'logout' ? 120 : settings.lifetime),
    sessionId: o.sessionId ?? randomUUID(),
  });
  return applyOverrides(claims, o.claims);
}

/** A signed token of `kind`, typed the way the profile's IdP types it. */
function mint(
  settings: TokenSettings,
  kind: TestTokenKind,
  user: Partial<TestUser> | undefined,
  o: TestTokenOptions = {},
): Promise<string> {
  const header = { typ: headerType(settings.profile, kind), ...o.header };
  return signJws(claimsFor(settings, kind, user, o), header, o.key ?? settings.currentKey());
}

type TokenFactory = Pick<
  TestIssuer,
  'accessToken' | 'idToken' | 'refreshToken' | 'logoutToken' | 'opaqueToken' | 'sign'
>;

/** The test issuer's token factory: JWTs of every kind, opaque tokens, raw signing. */
export function tokenFactory(settings: TokenSettings): TokenFactory {
  return {
    accessToken: (user, o) => mint(settings, 'access', user, o),
    idToken: (user, o) => mint(settings, 'id', user, o),
    refreshToken: (user, o) => mint(settings, 'refresh', user, o),
    logoutToken: (target, o = {}) =>
      mint(settings, 'logout', 'sub' in target ? { sub: target.sub } : {}, {
        ...o,
        ...(target.sid ? { sessionId: target.sid } : {}),
      }),
    opaqueToken: async (user, o = {}) => {
      const token = randomBytes(24).toString('base64url');
      settings.storeOpaque(token, claimsFor(settings, 'access', user, o));
      return token;
    },
    sign: (claims, header = {}, key = settings.currentKey()) => signJws(claims, header, key),
  };
}
