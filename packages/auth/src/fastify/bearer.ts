import { AuthError } from '../errors.js';
import { noteCompactJws } from '../token/decode.js';

/** RFC 6750 §2.1 `b64token`, after the case-insensitive scheme (RFC 9110 §11.1). */
const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The same credentials when the token is a compact JWS (RFC 7515 §7.1: three base64url
 * segments): its alphabet is a subset of `b64token`'s, so a match is also a match of
 * {@link CREDENTIALS}. Tried first, so that a JWT, nearly every token, is scanned once here and
 * not again when it is routed ({@link noteCompactJws}).
 */
const JWS_CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;

/** An access token and the scheme it was sent with. */
export interface Credentials {
  /** `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1), as written by the client. */
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/**
 * Reads the access token from the `Authorization` header, the only method accepted, with the
 * `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1) scheme. A token in the query
 * (`access_token`, §2.3) is refused with `request_invalid` (§2.3 is discouraged for leaking
 * into logs; §3.1 invalid_request covers "more than one method"). A token in a form body
 * (§2.2) is never read, so alone it counts as no token. `DPoP` is read only when `dpop` is
 * true; otherwise it counts as another scheme.
 *
 * @returns the credentials, or `undefined` when none of an accepted scheme were sent.
 */
export function readCredentials(
  authorization: string | undefined,
  query: unknown,
  dpop: boolean,
): Credentials | undefined {
  refuseQueryToken(query);
  return parseAuthorization(authorization, dpop);
}

/**
 * Refuses a token in the query (`access_token`, RFC 6750 §2.3) with `request_invalid`: §2.3 is
 * discouraged for leaking into logs, and §3.1 invalid_request covers "more than one method".
 */
export function refuseQueryToken(query: unknown): void {
  if (query !== null && typeof query === 'object' && Object.hasOwn(query, 'access_token'))
    throw new AuthError(
      'request_invalid',
      'Send the access token in the Authorization header, not in the query (RFC 6750 section 2.1)',
    );
}

/**
 * The credentials of an `Authorization` header value alone ({@link readCredentials} without
 * the query): `undefined` for none or another scheme, `request_invalid` for a malformed one.
 * Depends on nothing but its arguments, so one header value always reads the same.
 */
export function parseAuthorization(
  authorization: string | undefined,
  dpop: boolean,
): Credentials | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  const scheme = (authorization.split(' ', 1)[0] ?? '').toLowerCase();
  // Another scheme (Basic, …) means no credentials of ours: 401 without an error code.
  if (scheme !== 'bearer' && !(dpop && scheme === 'dpop')) return undefined;
  const jws = JWS_CREDENTIALS.exec(authorization);
  if (jws !== null) {
    const token = jws[2] as string;
    noteCompactJws(token);
    return { scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', token };
  }
  const match = CREDENTIALS.exec(authorization);
  if (match === null)
    throw new AuthError(
      'request_invalid',
      `The Authorization header is not "${scheme === 'dpop' ? 'DPoP' : 'Bearer'} <token>"`,
    );
  return { scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] as string };
}

/**
 * The bearer token of the `Authorization` header ({@link readCredentials} without DPoP).
 *
 * @returns the token, or `undefined` when no bearer credentials were sent.
 */
export function readBearerToken(
  authorization: string | undefined,
  query: unknown,
): string | undefined {
  return readCredentials(authorization, query, false)?.token;
}
