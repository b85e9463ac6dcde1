import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { tokenKey } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import {
  afterSender,
  type Batches,
  proceed,
  type RequestHookState,
  verifyInBatch,
} from './after-token.js';
import { type Credentials, refuseQueryToken } from './bearer.js';
import { type ConnectionCredentials, credentialsOf, warmLookup } from './connection-memo.js';
import { ProofBatch } from './proof-batch.js';
import { routeConfigOf } from './route-config.js';

export { decidedRequirement, type RequestHookState } from './after-token.js';

/**
 * Node keeps only the first of repeated `Authorization` field lines, while a proxy in front may
 * act on the last. `Authorization` is not a list-based field (RFC 9110 §5.3, §11.6.2), so two
 * lines are ambiguous credentials: refused as RFC 6750 §3.1 `invalid_request`, never resolved
 * silently to one of the callers.
 */
function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // The length test spares a lower-cased copy of every other header name on each request, and
    // the two usual spellings are matched before making one of this name.
    if (
      name?.length === 13 &&
      (name === 'Authorization' ||
        name === 'authorization' ||
        name.toLowerCase() === 'authorization') &&
      ++seen > 1
    )
      return true;
  }
  return false;
}

/**
 * The `onRequest` hook, callback style: on a route without introspection, a token verified
 * before is decided without a promise, a new one after the poll phase with the others of the
 * turn ({@link verifyInBatch}); the rest: {@link authenticateRequest}.
 */
export function createRequestHook(
  state: RequestHookState,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const { authenticator, audiences, dpopAlgorithms } = state;
  const lastRead = new WeakMap<object, ConnectionCredentials>();
  const batches: Batches = { proofs: new ProofBatch(), tokens: new ProofBatch() };
  const cachedFor = warmLookup(authenticator, audiences);
  return (request, reply, done) => {
    let credentials: Credentials | undefined;
    let hit: Principal | undefined;
    const auth = routeConfigOf(request)?.auth;
    try {
      const { authorization } = request.headers;
      if (authorization !== undefined && hasRepeatedAuthorization(request.raw.rawHeaders))
        throw new AuthError('request_invalid', 'Send exactly one Authorization header');
      refuseQueryToken(request.query);
      const read = credentialsOf(
        lastRead,
        request.raw.socket,
        authorization,
        dpopAlgorithms !== undefined,
      );
      credentials = read?.credentials;
      if (
        read !== undefined &&
        credentials !== undefined &&
        !auth?.introspect &&
        (credentials.scheme === 'Bearer' || authenticator.checkSenderNow !== undefined)
      ) {
        read.key ??= tokenKey(credentials.token);
        hit = cachedFor(request, credentials.token, read.key);
        if (hit === undefined && authenticator.authenticateNow !== undefined) {
          const call = { request, reply, done, credentials, auth };
          return verifyInBatch(state, batches, call, credentials.token, read.key);
        }
      }
    } catch (error) {
      return done(error as Error);
    }
    // The usual warm request, a cached plain bearer token: no sender to check (RFC 9449 §7).
    if (hit !== undefined && credentials?.scheme !== 'DPoP' && hit.confirmation === undefined) {
      afterSender(state, request, reply, auth, done, hit, undefined);
      return;
    }
    proceed(
      state,
      batches.proofs,
      { request, reply, done, credentials, auth },
      hit,
      undefined,
      undefined,
    );
  };
}
