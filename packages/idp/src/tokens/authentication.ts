import type { KoaContextWithOIDC } from 'oidc-provider';

/** How and when the user signed in, as recorded with the session, code or refresh token. */
export interface AuthenticationFacts {
  acr?: string | undefined;
  amr?: string[] | undefined;
  /** Epoch seconds. */
  authTime?: number | undefined;
}

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
