import type { ResolvedIssuer } from '../config.js';
import { AuthError } from '../errors.js';
import { PROFILES } from '../profiles/index.js';
import { describeValue, withArticle } from './describe-value.js';
import { typNames } from './media-type.js';
import { audiencesOf } from './validate-claims.js';

/** Keycloak's `typ` claim of tokens that are not access tokens (Keycloak-specific, not a standard). */
const NOT_ACCESS_CLAIM_TYPES = new Set(['id', 'refresh', 'offline', 'logout']);

/** Keycloak's `typ` claim of access tokens: `Bearer`, or `DPoP` when DPoP-bound. */
const ACCESS_CLAIM_TYPES = new Set<string | undefined>(['bearer', 'dpop']);

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Claims only access tokens carry: a scope (RFC 9068 §2.2.3 `scope`, `scp`), the client (RFC 9068
 * §2.2 `client_id`), or the client under a provider's own name, never in its ID tokens: Microsoft
 * Entra ID v1 `appid` (an application's own token has `roles`, no `scp`, no `azp`), Okta `cid`.
 */
const ACCESS_CLAIMS = ['scope', 'scp', 'client_id', 'appid', 'cid'] as const;

/** Whether `claims` holds one of {@link ACCESS_CLAIMS}. */
export function hasAccessClaim(claims: Readonly<Record<string, unknown>>): boolean {
  return ACCESS_CLAIMS.some((name) => claims[name] !== undefined);
}

function reject(description: string): never {
  throw new AuthError('token_type_invalid', description);
}

/**
 * Refuses tokens that are not access tokens (RFC 8725 §3.11 explicit typing, RFC 9068 §4):
 * ID tokens, refresh tokens and logout tokens must never open the API.
 */
export function assertAccessToken(
  issuer: ResolvedIssuer,
  header: Readonly<Record<string, unknown>>,
  claims: Readonly<Record<string, unknown>>,
  source: 'jwt' | 'introspection' = 'jwt',
  /** An introspection answer's `token_type` named an access token (RFC 7662 §2.2). */
  answeredAccessType = false,
): void {
  // RFC 8725 §3.11: a `typ` that is not a string is not an access-token type; it is refused with
  // a printable description (describeValue), never a crash.
  // Header `typ` of an access token: RFC 9068 §2.1 `at+jwt`, or plain `JWT` (Keycloak,
  // Authentik), each a media type compared as RFC 7515 §4.1.9 says ({@link typNames}).
  const typedAccess = typNames(header.typ, 'at+jwt');
  if (header.typ !== undefined && !typedAccess && !typNames(header.typ, 'jwt'))
    reject(`A token of type ${describeValue(header.typ)} is not an access token`);
  // RFC 9068 §4: "Resource servers […] MUST verify that the typ header value is at+jwt or
  // application/at+jwt"; held where the issuer is known to type them so (`requireAtJwtTyp`).
  if (issuer.requireAtJwtTyp && source === 'jwt' && !typedAccess)
    reject(
      `This issuer's access tokens must have the header typ at+jwt (RFC 9068), not ${header.typ === undefined ? 'none' : describeValue(header.typ)}`,
    );
  const profile = PROFILES[issuer.profile];
  const claimTyp = typeof claims.typ === 'string' ? claims.typ.toLowerCase() : undefined;
  if (claimTyp !== undefined && NOT_ACCESS_CLAIM_TYPES.has(claimTyp))
    reject(`${withArticle(describeValue(claims.typ))} token is not an access token`);
  // Keycloak marks access tokens `typ: "Bearer"`, and DPoP-bound ones (RFC 9449) `typ: "DPoP"`;
  // anything else from Keycloak is something else.
  if (
    profile.typClaimMarksAccessTokens &&
    claims.typ !== undefined &&
    !ACCESS_CLAIM_TYPES.has(claimTyp)
  )
    reject(`A ${profile.title} ${describeValue(claims.typ)} token is not an access token`);
  // A token typed DPoP must say which key it is bound to (RFC 9449 §6.1 `cnf.jkt`), or it would
  // pass as a bearer token.
  if (claimTyp === 'dpop' && typeof (claims.cnf as { jkt?: unknown } | undefined)?.jkt !== 'string')
    reject('A DPoP token without cnf.jkt is not a usable access token');
  assertCheckableBinding(claims.cnf);
  if (claims.events !== undefined && typeof claims.events === 'object' && claims.events !== null) {
    if (Object.hasOwn(claims.events, BACKCHANNEL_LOGOUT_EVENT))
      reject('A logout token is not an access token');
  }
  // ID tokens (OIDC Core §2): `nonce`, `at_hash` and `c_hash` appear in ID tokens, and `nonce`
  // in Authentik's code-flow access tokens too, which its markers below tell from ID tokens.
  const idNonce = claims.nonce !== undefined && !profile.nonceInAccessTokens;
  if (idNonce || claims.at_hash !== undefined || claims.c_hash !== undefined)
    reject('An ID token is not an access token');
  // Authentik signs the same claims for both kinds (`aud` = client id, `auth_time`, `acr`), but
  // its access tokens are the ID token's claims plus `azp` and `uid` (authentik
  // providers/oauth2/id_token.py, `to_access_token`); an ID token (`to_jwt`) has neither.
  // Authentik's introspection answer is the ID token's claims, so this holds for JWTs only.
  const markers = profile.accessTokenMarkers;
  if (markers !== undefined && source === 'jwt' && markers.every((m) => claims[m] === undefined))
    reject(`An ${profile.title} token without ${markers[0]} (an ID token) is not an access token`);
  // An ID token's audience is the client itself (OpenID Connect Core §2): `azp`, when present,
  // is one of its audiences, and it is often absent (§2 makes it optional, §3.1.3.7 item 4 asks
  // for it only with several audiences), as `nonce` is after a refresh (§12.2) or a device grant
  // (RFC 8628). So without an access-token marker (RFC 9068 §2.1 `at+jwt`, a Keycloak `typ`,
  // RFC 9068 §2.2 `client_id`, a scope) a token naming no client apart from its audiences is
  // taken for an ID token (RFC 8725 §2.8, §3.11). Authentik access tokens look the same
  // (`aud` = client id, no marker but `azp`/`uid`, checked above), so this is skipped there.
  if (!profile.audienceIsClientId) {
    const hasAccessMarker =
      typedAccess ||
      answeredAccessType ||
      ACCESS_CLAIM_TYPES.has(claimTyp) ||
      hasAccessClaim(claims);
    const azp = claims.azp;
    if (!hasAccessMarker && (typeof azp !== 'string' || audiencesOf(claims).includes(azp)))
      reject(
        'An ID token (no access-token marker, no client apart from aud) is not an access token',
      );
  }
}

/**
 * A token's `cnf` (RFC 7800 §3.1) must bind it by a method this resource server checks: only
 * RFC 9449 §6.1 `jkt` (a non-empty thumbprint, checked against each request's DPoP proof). Any
 * other confirmation (RFC 8705 §3 `x5t#S256`, RFC 7800 `jwk`, `kid`, `jku`, `jwe`), alone or
 * beside `jkt`, or a `cnf` naming no method, is refused: read as a bearer token, a token bound
 * to a certificate or key would open the API to whoever holds it (fail closed).
 */
function assertCheckableBinding(cnf: unknown): void {
  if (cnf === undefined) return;
  if (cnf !== null && typeof cnf === 'object' && !Array.isArray(cnf)) {
    let methods = 0;
    let jkt: unknown;
    for (const name in cnf) {
      methods++;
      if (name === 'jkt') jkt = (cnf as Record<string, unknown>).jkt;
    }
    if (methods === 1 && typeof jkt === 'string' && jkt !== '') return;
  }
  throw new AuthError(
    'token_binding_mismatch',
    'The access token is bound by a confirmation (cnf) this resource server cannot check; only jkt (DPoP) is',
  );
}
