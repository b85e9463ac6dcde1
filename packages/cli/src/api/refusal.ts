import type { OAuthError } from '../oidc/http.js';

/** An access token the API answered 401 to, with what its challenge said (RFC 6750 §3). */
export interface Refusal {
  readonly accessToken: string;
  /** The challenge's `error` and `error_description`, when it carried an `error`. */
  readonly error?: OAuthError;
}

/** An auth-param's value (RFC 9110 §11.2): a token or a quoted-string, its escapes undone. */
function param(header: string, name: string): string | undefined {
  const match = new RegExp(
    `(?:^|[\\s,])${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,"]+))`,
    'i',
  ).exec(header);
  if (match === null) return undefined;
  return match[2] ?? (match[1] ?? '').replace(/\\(.)/g, '$1');
}

/**
 * The `error` and `error_description` of a `WWW-Authenticate` header (RFC 6750 §3; the API sends
 * the same in its DPoP challenge, RFC 9449 §7.1): those of the first challenge that has them.
 */
export function challengeError(header: string): OAuthError | undefined {
  const error = param(header, 'error');
  if (error === undefined || error === '') return undefined;
  const description = param(header, 'error_description');
  return { error, ...(description === undefined ? {} : { error_description: description }) };
}
