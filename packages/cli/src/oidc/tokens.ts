import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import type { ProviderMetadata } from './discovery.js';
import type { DpopKey, DpopKeyJwk } from './dpop.js';
import { describeOAuthError, oauthError, tokenRequest } from './http.js';

/** A successful token response (RFC 6749 §5.1), with `expires_in` turned into a time. */
export interface TokenResponse {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The access token's lifetime as granted (`expires_in`, RFC 6749 §5.1), in milliseconds. */
  readonly lifetimeMs?: number;
  /**
   * The private key the tokens are bound to (RFC 9449 §5: `token_type` DPoP), sent with a proof
   * by it on every request; absent for bearer tokens.
   */
  readonly dpopKey?: DpopKeyJwk;
}

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** RFC 6749 Appendix A.17: a refresh token is 1*VSCHAR (%x20-7E). */
function isVsChars(value: unknown): value is string {
  return typeof value === 'string' && /^[\x20-\x7e]+$/.test(value);
}

/** A token type to quote in a message: short and printable, else a placeholder. */
function describeType(value: string): string {
  return /^[A-Za-z0-9_-]{1,20}$/.test(value) ? value : '(unreadable)';
}

/**
 * Reads a token response; `expires_in` absent counts as 60 s, so the token is refreshed soon.
 * `dpop` is the key whose proof the request carried: a `DPoP` token is bound to it (RFC 9449 §5)
 * and kept with it; a provider that ignored the proof answers `Bearer`, and the key is dropped.
 */
export function toTokenResponse(
  body: Record<string, unknown>,
  nowMs: number,
  dpop?: DpopKey,
): TokenResponse {
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new CliError('idp_error', 'The token response has no access_token');
  // Sent as `Authorization: Bearer <token>`: RFC 6750 §2.1's b64token, so a token can never
  // break the header, and no error about the header can ever quote it.
  if (!B64TOKEN.test(body.access_token))
    throw new CliError(
      'idp_error',
      'The token response has an access_token that is not a bearer token (RFC 6750 §2.1 b64token)',
    );
  // RFC 6749 §7.1: a client must not use a token whose type it does not understand; a DPoP
  // token is understood only when this request carried a proof (RFC 9449 §5).
  const type = typeof body.token_type === 'string' ? body.token_type.toLowerCase() : 'bearer';
  const bound = dpop !== undefined && type === 'dpop';
  if (typeof body.token_type === 'string' && type !== 'bearer' && !bound)
    throw new CliError(
      'idp_error',
      `The identity provider issued a token of token_type ${describeType(body.token_type)}; this client sends Bearer tokens only (is the client set to require DPoP?)`,
    );
  if (body.refresh_token !== undefined && !isVsChars(body.refresh_token))
    throw new CliError('idp_error', 'The token response has a malformed refresh_token');
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 60;
  return {
    accessToken: body.access_token,
    ...(isVsChars(body.refresh_token) ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
    expiresAt: nowMs + expiresIn * 1000,
    lifetimeMs: expiresIn * 1000,
    ...(bound ? { dpopKey: dpop.jwk } : {}),
  };
}

/**
 * The refresh token grant (RFC 6749 §6). A refused refresh token (`invalid_grant`: the session
 * ended, expired or was revoked) means signing in again. A session bound to a DPoP key refreshes
 * with a proof by that same key (RFC 9449 §5: a public client's refresh token is bound to it).
 * `signal` ends the request when the caller gives up.
 */
export async function refresh(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  refreshToken: string,
  dpop?: DpopKey,
  signal?: AbortSignal,
): Promise<TokenResponse> {
  const { status, body } = await tokenRequest(
    io.fetch,
    metadata.token_endpoint,
    { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId },
    dpop,
    signal,
  );
  const error = oauthError(body);
  if (status === 200 && error === undefined) return toTokenResponse(body, io.now(), dpop);
  if (error?.error === 'invalid_grant')
    throw new CliError('session_ended', 'Your session has ended; run todo login');
  // RFC 9110 §15.6: a server error is the provider's trouble, not the session's: it may pass.
  if (status >= 500)
    throw new CliError(
      'idp_error',
      `The identity provider at ${metadata.issuer} could not refresh the access token (HTTP ${status}${error ? `, ${describeOAuthError(error)}` : ''}): it is failing or overloaded; try again shortly`,
    );
  throw new CliError(
    'idp_error',
    `Refreshing the token failed: ${error ? describeOAuthError(error) : `HTTP ${status}`}`,
  );
}
