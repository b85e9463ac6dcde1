/**
 * Who is calling, mapped from a verified access token (or an introspection answer) per the
 * issuer's profile. Times are seconds since the epoch (JWT NumericDate, RFC 7519 §2).
 */
export interface Principal {
  issuer: string;
  subject: string;
  username?: string;
  email?: string;
  name?: string;
  roles: readonly string[];
  permissions: readonly string[];
  scopes: readonly string[];
  attributes: Readonly<Record<string, string | readonly string[]>>;
  /** Every claim of the token, verified. */
  claims: Readonly<Record<string, unknown>>;
  /** `sid`: the IdP session, used by back-channel logout. */
  sessionId?: string;
  /** `azp` or `client_id`: the client the token was issued to. */
  clientId?: string;
  issuedAt?: number;
  expiresAt: number;
  /** `acr`: the authentication context class reference (OIDC Core §2), e.g. `pwd`, `mfa`. */
  acr?: string;
  /** `amr`: the authentication methods used (RFC 8176), e.g. `['pwd', 'otp']`. */
  amr?: readonly string[];
  /** `auth_time`: when the person last authenticated (OIDC Core §2, RFC 9470 §4). */
  authTime?: number;
  /** `cnf`: the key the token is bound to (RFC 7800); `jkt` for DPoP (RFC 9449 §6.1). */
  confirmation?: { readonly jkt?: string };
  /** Holds the issuer's admin role, which bypasses every permission check. */
  isAdmin: boolean;
}

/**
 * The principal's values of an attribute, as a list. An empty string is no value (fail closed:
 * two people without a department do not share the department ""), however the principal was
 * made.
 */
export function attributeValues(principal: Principal, attribute: string): readonly string[] {
  const value = principal.attributes[attribute];
  if (value === undefined || value === '') return [];
  if (typeof value === 'string') return [value];
  return value.includes('') ? value.filter((v) => v !== '') : value;
}

/** Claims of a validated OIDC back-channel logout token (OIDC Back-Channel Logout 1.0 §2.4). */
export interface LogoutTokenClaims {
  issuer: string;
  subject?: string;
  sessionId?: string;
  /** Caller checks it for replay. */
  jti?: string;
  issuedAt: number;
  /** `exp`, required (Back-Channel Logout 1.0 §2.4, errata set 1). */
  expiresAt: number;
  /**
   * The last instant (seconds since the epoch) at which this token would still pass validation:
   * `exp` or the maximum age after `iat`, whichever comes first, plus the clock tolerance. A
   * replay check (§2.6 step 8) must remember the `jti` at least until then.
   */
  acceptedUntil: number;
  audience: readonly string[];
  claims: Readonly<Record<string, unknown>>;
}
