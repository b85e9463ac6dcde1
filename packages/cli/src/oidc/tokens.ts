import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import type { ProviderMetadata } from './discovery.js';
import { describeOAuthError, oauthError, postForm } from './http.js';

/** A successful token response (RFC 6749 §5.1), with `expires_in` turned into a time. */
export interface TokenResponse {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** Reads a token response; `expires_in` absent counts as 60 s, so the token is refreshed soon. */
export function toTokenResponse(body: Record<string, unknown>, nowMs: number): TokenResponse {
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new CliError('idp_error', 'The token response has no access_token');
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 60;
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
    expiresAt: nowMs + expiresIn * 1000,
  };
}

/**
 * The refresh token grant (RFC 6749 §6). A refused refresh token (`invalid_grant`: the session
 * ended, expired or was revoked) means signing in again.
 */
export async function refresh(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  refreshToken: string,
): Promise<TokenResponse> {
  const { status, body } = await postForm(io.fetch, metadata.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  });
  const error = oauthError(body);
  if (status === 200 && error === undefined) return toTokenResponse(body, io.now());
  if (error?.error === 'invalid_grant')
    throw new CliError('session_ended', 'Your session has ended; run todo login');
  throw new CliError(
    'idp_error',
    `Refreshing the token failed: ${error ? describeOAuthError(error) : `HTTP ${status}`}`,
  );
}
