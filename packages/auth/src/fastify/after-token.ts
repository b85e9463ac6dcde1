// What the auth plugin's `onRequest` hook (request-hook.ts) does once a request's token is read:
// a new token's verification in the turn's batch, the DPoP sender check, the route's decision.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AuthenticateOptions, Authenticator } from '../authenticator.js';
import { decide } from '../authorization/decide.js';
import { denialError } from '../authorization/denial.js';
import type { DecisionContext } from '../authorization/requirement.js';
import type { ProofRequest } from '../dpop/sender.js';
import type { Principal } from '../principal.js';
import type { Credentials } from './bearer.js';
import { acceptOf, verifyNow } from './connection-memo.js';
import type { AuthPluginOptions, RouteAuthConfig } from './options.js';
import type { ProofBatch } from './proof-batch.js';
import { proofRequest } from './proof-request.js';

/** What the per-request work of one plugin registration needs; built once when it registers. */
export interface RequestHookState {
  readonly authenticator: Authenticator;
  readonly beforeDecision: AuthPluginOptions['beforeDecision'];
  readonly audiences: AuthPluginOptions['audiences'];
  /** Proof algorithms accepted, when the authenticator accepts DPoP. */
  readonly dpopAlgorithms: readonly string[] | undefined;
  /** The path a proxy strips before the request reaches the app (`AuthPluginOptions`). */
  readonly publicPath: string | undefined;
  /** The origin a request's proof must name (`AuthPluginOptions.origin`). */
  readonly origin: AuthPluginOptions['origin'];
  /** The decision context of a request (clock, acr levels, proof). */
  readonly contextOf: (request: FastifyRequest) => DecisionContext;
}

/**
 * The requirement a route's requests are decided on: an empty one (`{}`, any valid token) is
 * none, since {@link decide} allows every caller on it, so no decision context (a clock read,
 * a few arrays) is built for it per request. An issuer that requires DPoP still adds its sender
 * constraint to either ({@link requirementOf}). Allocates nothing.
 */
export function decidedRequirement(auth: RouteAuthConfig | undefined): RouteAuthConfig | undefined {
  if (auth === undefined) return undefined;
  for (const key in auth)
    if ((auth as Readonly<Record<string, unknown>>)[key] !== undefined) return auth;
  return undefined;
}

/** The route's requirement; an issuer that requires DPoP adds the sender constraint. */
function requirementOf(
  authenticator: Authenticator,
  principal: Principal,
  auth: RouteAuthConfig | undefined,
) {
  return authenticator.dpopMode(principal.issuer) === 'required'
    ? { ...auth, senderConstrained: 'dpop' as const }
    : auth;
}

/** Decides the route's requirement for the request's principal; throws the refusal. */
function decideRoute(
  state: RequestHookState,
  request: FastifyRequest,
  auth: RouteAuthConfig | undefined,
): void {
  const requirement = requirementOf(
    state.authenticator,
    request.principal,
    decidedRequirement(auth),
  );
  if (requirement === undefined) return;
  const decision = decide(request.principal, requirement, undefined, state.contextOf(request));
  if (!decision.allowed) throw denialError(decision);
}

/** Every path that waits (`pending`: a verification the hook started), introspection, DPoP. */
async function authenticateRequest(
  state: RequestHookState,
  request: FastifyRequest,
  reply: FastifyReply,
  credentials: Credentials | undefined,
  accept: AuthenticateOptions | undefined,
  auth: RouteAuthConfig | undefined,
  pending: Promise<Principal> | undefined,
): Promise<void> {
  const { authenticator, beforeDecision } = state;
  const principal = await (pending ?? authenticator.authenticate(credentials?.token, accept));
  // authenticate() refused a missing token, so the credentials are here from now on.
  const { scheme, token } = credentials as Credentials;
  if (auth?.introspect) await authenticator.introspect(token, accept);
  // RFC 9449 §7: a DPoP request, or a bound token sent as Bearer (refused); a plain bearer
  // request skips this. The principal is the request's only once its sender is checked: a
  // refused request has none (nothing after it, logs or usage records, takes it as the caller).
  if (scheme === 'DPoP' || principal.confirmation !== undefined)
    request.dpopProof = await authenticator.checkSender(
      principal,
      proofRequest(request, { scheme, token }, state.publicPath, state.origin),
    );
  request.principal = principal;
  if (beforeDecision) await beforeDecision(request, reply);
  decideRoute(state, request, auth);
}

/** After the principal and its proof: the app's `beforeDecision`, then the route's decision. */
function finish(
  state: RequestHookState,
  request: FastifyRequest,
  reply: FastifyReply,
  auth: RouteAuthConfig | undefined,
  done: HookHandlerDoneFunction,
): void {
  try {
    const pending = state.beforeDecision?.(request, reply);
    if (pending) {
      pending.then(() => decideRoute(state, request, auth)).then(() => done(), done);
      return;
    }
    decideRoute(state, request, auth);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}

export type SenderResult = ReturnType<NonNullable<Authenticator['checkSenderNow']>>;

/**
 * After the proof check: the principal and the proof key, later with an asynchronous (shared)
 * replay store. The principal becomes the request's only once its sender passed (RFC 9449 §7).
 */
export function afterSender(
  state: RequestHookState,
  request: FastifyRequest,
  reply: FastifyReply,
  auth: RouteAuthConfig | undefined,
  done: HookHandlerDoneFunction,
  principal: Principal,
  sender: SenderResult | undefined,
): void {
  if (sender instanceof Promise) {
    sender.then((proof) => {
      request.principal = principal;
      request.dpopProof = proof;
      finish(state, request, reply, auth, done);
    }, done);
    return;
  }
  request.principal = principal;
  request.dpopProof = sender;
  finish(state, request, reply, auth, done);
}

/** One request's hook call: what its authentication goes on with once the token is read. */
export interface HookCall {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly done: HookHandlerDoneFunction;
  readonly credentials: Credentials | undefined;
  readonly auth: RouteAuthConfig | undefined;
}

/**
 * After the token: a principal known now (`hit`) goes on without a promise, its DPoP proof
 * (RFC 9449 §7) with the others of the turn ({@link ProofBatch}); a verification that waits
 * (`pending`), or none yet, takes {@link authenticateRequest}.
 */
export function proceed(
  state: RequestHookState,
  proofs: ProofBatch<SenderResult>,
  { request, reply, done, credentials, auth }: HookCall,
  found: Principal | undefined,
  pending: Promise<Principal> | undefined,
  accept: AuthenticateOptions | undefined,
): void {
  const { authenticator } = state;
  const { checkSenderNow } = authenticator;
  let hit = found;
  let sender: SenderResult | undefined;
  let proof: ProofRequest | undefined;
  try {
    // RFC 9449 §7: a DPoP request, or a bound token sent as Bearer (refused). Without
    // checkSenderNow, the full path checks it.
    if (hit !== undefined && (credentials?.scheme === 'DPoP' || hit.confirmation !== undefined)) {
      if (checkSenderNow === undefined) hit = undefined;
      else {
        proof = proofRequest(request, credentials as Credentials, state.publicPath, state.origin);
        // A bound token sent as Bearer is refused now (§7.2); a proof waits for its batch.
        if (proof.scheme === 'Bearer') sender = authenticator.checkSenderNow?.(hit, proof);
      }
    }
  } catch (error) {
    done(error as Error);
    return;
  }
  if (hit === undefined) {
    const options = accept ?? acceptOf(state.audiences, request);
    authenticateRequest(state, request, reply, credentials, options, auth, pending).then(
      () => done(),
      done,
    );
    return;
  }
  const principal = hit;
  if (proof?.scheme !== 'DPoP') {
    afterSender(state, request, reply, auth, done, principal, sender);
    return;
  }
  const checked = proof;
  proofs.add(
    () => authenticator.checkSenderNow?.(principal, checked),
    (error, result) =>
      error === undefined
        ? afterSender(state, request, reply, auth, done, principal, result)
        : done(error as Error),
  );
}

/**
 * A token the cache did not hold, verified with the others read in the same turn
 * ({@link ProofBatch}): their signature verifications run back to back after the poll phase,
 * then every request goes on. Each verification is the same synchronous `authenticateNow`, with
 * the same checks and events; its refusal goes to its own request alone.
 */
export function verifyInBatch(
  state: RequestHookState,
  batches: Batches,
  call: HookCall,
  token: string,
  key: string,
): void {
  const accept = acceptOf(state.audiences, call.request);
  batches.tokens.add(
    () => verifyNow(state.authenticator, call.request, token, accept, key),
    (error, now) => {
      if (error !== undefined) call.done(error as Error);
      else if (now instanceof Promise) proceed(state, batches.proofs, call, undefined, now, accept);
      else proceed(state, batches.proofs, call, now, undefined, accept);
    },
  );
}

/** The checks a request hook runs in batches: DPoP proofs and new tokens' verifications. */
export interface Batches {
  readonly proofs: ProofBatch<SenderResult>;
  readonly tokens: ProofBatch<Principal | Promise<Principal> | undefined>;
}
