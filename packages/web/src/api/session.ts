/**
 * What the API client needs from the signed-in session, kept apart from oidc-client-ts so the
 * client (and its tests) depend on three functions only.
 */
export interface SessionPort {
  /** The current access token (renewed first when about to expire), or `null` when signed out. */
  getAccessToken(): Promise<string | null>;
  /** Silent renewal (refresh-token grant); resolves to the new token or `null` when it failed. */
  renew(): Promise<string | null>;
  /** Full sign-in round trip through the identity provider; typed drafts survive it. */
  reauthenticate(): void;
  /** The API accepted the current token (any answer but 401). */
  accepted(): void;
  /**
   * Did the last failed renewal get no answer from the identity provider (down, offline)?
   * Then a sign-in redirect would only land on an error page.
   */
  identityProviderUnreachable(): boolean;
  /**
   * The credential headers for one request with `token`: `Authorization: DPoP <token>` and a
   * fresh `DPoP` proof for `method` and `url` (RFC 9449 §7.1) when the token is DPoP-bound,
   * with the server's `nonce` when it asked for one (§9); `Authorization: Bearer <token>`
   * otherwise. Without it every token is sent as a bearer token.
   */
  credentials?(
    token: string,
    request: { method: string; url: string },
    nonce?: string,
  ): Promise<Record<string, string>>;
}
