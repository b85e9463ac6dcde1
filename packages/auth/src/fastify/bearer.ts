import { AuthError } from '../errors.js';

/** RFC 6750 §2.1 `b64token`, after the case-insensitive `Bearer` scheme (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads the access token from the `Authorization` header (RFC 6750 §2.1), the only method
 * accepted. A token in the query (`access_token`, §2.3) is refused with `request_invalid`
 * (§2.3 is discouraged for leaking into logs; §3.1 invalid_request covers "more than one
 * method"). A token in a form body (§2.2) is never read, so alone it counts as no token.
 *
 * @returns the token, or `undefined` when no bearer credentials were sent.
 */
export function readBearerToken(
  authorization: string | undefined,
  query: unknown,
): string | undefined {
  if (query !== null && typeof query === 'object' && Object.hasOwn(query, 'access_token'))
    throw new AuthError(
      'request_invalid',
      'Send the access token in the Authorization header, not in the query (RFC 6750 §2.1)',
    );
  if (authorization === undefined || authorization === '') return undefined;
  const scheme = authorization.split(' ', 1)[0] ?? '';
  // Another scheme (Basic, DPoP, …) means no bearer credentials: 401 without an error code.
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  const match = BEARER.exec(authorization);
  if (match === null)
    throw new AuthError('request_invalid', 'The Authorization header is not "Bearer <token>"');
  return match[1];
}
