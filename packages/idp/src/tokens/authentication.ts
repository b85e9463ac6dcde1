import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Realm } from '../realm/types.js';
import type { Profile } from './claims.js';

/** How and when the user signed in, as recorded with the session, code or refresh token. */
export interface AuthenticationFacts {
  acr?: string | undefined;
  amr?: string[] | undefined;
  /** Epoch seconds. */
  authTime?: number | undefined;
}

/** Authentik's fixed `acr` (it has no levels of authentication). */
export const AUTHENTIK_ACR = 'goauthentik.io/providers/oauth2/default';

interface FactSource {
  acr?: string;
  amr?: string[];
  authTime?: number;
}

/**
 * The facts behind a token being minted: the authorization code, refresh token or device code
 * it comes from (oidc-provider copies acr, amr and auth time into those), else the session it is
 * bound to (the password grant's).
 */
export async function authenticationFacts(
  ctx: KoaContextWithOIDC,
  sessionUid: string | undefined,
): Promise<AuthenticationFacts> {
  const entities = ctx.oidc?.entities as Record<string, FactSource | undefined> | undefined;
  const source = entities?.AuthorizationCode ?? entities?.RefreshToken ?? entities?.DeviceCode;
  if (source?.authTime !== undefined) {
    return { acr: source.acr, amr: source.amr, authTime: source.authTime };
  }
  if (!sessionUid) return {};
  const session = await ctx.oidc.provider.Session.findByUid(sessionUid);
  if (!session) return {};
  return { acr: session.acr, amr: session.amr, authTime: session.loginTs };
}

/**
 * The claims about the authentication in an access token. Keycloak: `acr` (the `acr.loa.map`
 * name), `amr` (its AMR mapper's values, `pwd` and `otp`) and `auth_time`. Authentik: its fixed
 * `acr`, `auth_time`, and `amr` as Authentik writes it — `pwd`, plus `mfa` after a second factor.
 */
export function authenticationClaims(
  profile: Profile,
  _realm: Realm,
  facts: AuthenticationFacts,
): Record<string, unknown> {
  if (facts.authTime === undefined) return {};
  const amr = facts.amr ?? [];
  if (profile === 'authentik') {
    const methods = amr.includes('pwd') ? ['pwd'] : [];
    if (methods.length > 0 && amr.includes('otp')) methods.push('mfa');
    return {
      acr: AUTHENTIK_ACR,
      auth_time: facts.authTime,
      ...(methods.length > 0 ? { amr: methods } : {}),
    };
  }
  return {
    auth_time: facts.authTime,
    ...(facts.acr ? { acr: facts.acr } : {}),
    ...(amr.length > 0 ? { amr } : {}),
  };
}

interface IdTokenModel {
  available: Record<string, unknown>;
  extra: Record<string, unknown>;
  issue(options?: { use?: string }): Promise<string>;
}

/** Authentik's `amr`: `pwd`, plus `mfa` once a second factor was used. */
function authentikAmr(amr: unknown): string[] | undefined {
  if (!Array.isArray(amr) || !amr.includes('pwd')) return undefined;
  return amr.includes('otp') ? ['pwd', 'mfa'] : ['pwd'];
}

/** The Authentik profile's ID tokens say what its access tokens say: fixed `acr`, Authentik's `amr`. */
export function authentikIdTokenClaims(provider: { IdToken: { prototype: unknown } }): void {
  const proto = provider.IdToken.prototype as IdTokenModel;
  const issue = proto.issue;
  proto.issue = async function issueAsAuthentik(this: IdTokenModel, options) {
    for (const claims of [this.available, this.extra]) {
      if (claims.acr !== undefined) claims.acr = AUTHENTIK_ACR;
      if (claims.amr !== undefined) claims.amr = authentikAmr(claims.amr);
    }
    return issue.call(this, options);
  };
}
