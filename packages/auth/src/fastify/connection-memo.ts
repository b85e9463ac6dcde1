import type { FastifyRequest } from 'fastify';
import type { AuthenticateOptions, Authenticator } from '../authenticator.js';
import type { Principal } from '../principal.js';
import { type Credentials, parseAuthorization } from './bearer.js';
import type { AuthPluginOptions } from './options.js';

/**
 * What the last request on a connection sent in `Authorization`: its credentials and, once
 * looked up, the token's cache key. A keep-alive client sends the same header again and again;
 * when the next value is the same string, its syntax check (a regular expression over the
 * token) and its SHA-256 are not redone. Only the reading of the header is kept: the cache
 * lookup (expiry), revocation, audience and decision still run on every request.
 */
export interface ConnectionCredentials {
  readonly authorization: string;
  readonly credentials: Credentials | undefined;
  /** `tokenKey(credentials.token)`, computed on first use. */
  key: string | undefined;
}

/** The credentials of a request's `Authorization` value, reusing its connection's last read. */
export function credentialsOf(
  lastRead: WeakMap<object, ConnectionCredentials>,
  connection: object,
  authorization: string | undefined,
  dpop: boolean,
): ConnectionCredentials | undefined {
  if (authorization === undefined) return undefined;
  const last = lastRead.get(connection);
  if (last !== undefined && last.authorization === authorization) return last;
  // Throws `request_invalid` for a malformed header: nothing is kept then.
  const read = {
    authorization,
    credentials: parseAuthorization(authorization, dpop),
    key: undefined,
  };
  lastRead.set(connection, read);
  return read;
}

/** A request's own audience option, for a lookup that may answer after the hook returns. */
export function acceptOf(
  audiences: AuthPluginOptions['audiences'],
  request: FastifyRequest,
): AuthenticateOptions | undefined {
  return audiences && { audiences: (configured) => audiences(request, configured) };
}

/**
 * The warm path's cache lookup (`Authenticator.cached`) for a request, with the audiences that
 * request accepts (RFC 8707 §2). One audience option serves every request: `cached` calls it
 * synchronously, while `deciding` is the request being looked up, so a warm request makes no
 * option object nor closure of its own (the asynchronous path makes its own).
 */
export function warmLookup(
  authenticator: Authenticator,
  audiences: AuthPluginOptions['audiences'],
): (request: FastifyRequest, token: string, key: string) => Principal | undefined {
  let deciding: FastifyRequest | undefined;
  const accept: AuthenticateOptions | undefined = audiences && {
    audiences: (configured) => audiences(deciding as FastifyRequest, configured),
  };
  return (request, token, key) => {
    deciding = request;
    try {
      return authenticator.cached?.(token, accept, key);
    } finally {
      deciding = undefined;
    }
  };
}

/**
 * `authenticateNow` for a token the cache did not hold; a principal answered at once marks the
 * request `verifiedNow` (its token was verified for this very request).
 */
export function verifyNow(
  authenticator: Authenticator,
  request: FastifyRequest,
  token: string,
  accept: AuthenticateOptions | undefined,
  key: string,
): Principal | Promise<Principal> | undefined {
  const now = authenticator.authenticateNow?.(token, accept, key);
  if (now !== undefined && !(now instanceof Promise)) request.verifiedNow = true;
  return now;
}
