import { ExpiringLru } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import type { VerificationKey } from '../jwks/import-key.js';
import { verifySignatureWithNode } from '../jwks/verify-signature.js';
import { decodeSegment, looksLikeJws } from '../token/decode.js';
import { createHtuNormaliser } from './htu.js';
import { checkProofNonce, type DpopNonceSource } from './nonce.js';
import {
  type CheckedHeader,
  cachedHeader,
  checkProofHeader,
  invalid,
  PROOF_KEY_TTL_MS,
  type ProofHeaderPolicy,
} from './proof-header.js';
import type { DpopReplayCache } from './replay.js';
import { checkValidityWindow } from './validity-window.js';

/**
 * Asymmetric algorithms accepted for proofs by default (RFC 9449 §4.3 step 5: never `none` or
 * MAC). `Ed25519` is the fully-specified name of EdDSA over Ed25519 (RFC 9864 §2), which
 * clients such as the `dpop` library sign with; `EdDSA` stays accepted.
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'RS256',
  'EdDSA',
  'Ed25519',
]);

/** The payload and signature segments of a compact JWS, matched from `lastIndex` on. */
const PAYLOAD_AND_SIGNATURE = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/y;

/** A proof is small: a header with one public key and a few claims. */
const MAX_PROOF_LENGTH = 8 * 1024;

/** How proofs are checked; one object per resource server, shared by every request. */
export interface DpopVerifierOptions {
  /** Accepted proof algorithms; default {@link DEFAULT_DPOP_ALGORITHMS}. */
  readonly algorithms?: readonly string[];
  /** How old a proof's `iat` may be, in seconds (default 60). */
  readonly maxAgeSec?: number;
  /** Allowed clock difference, in seconds, both ways (default 5). */
  readonly clockToleranceSec?: number;
  /** Where used `jti`s are remembered; shared by every instance of a cluster. */
  readonly replay: DpopReplayCache;
  /** Server-provided nonces (RFC 9449 §8); without it none is asked for. */
  readonly nonces?: DpopNonceSource;
  /**
   * With `nonces`: only a proof whose `iat` is earlier than this (epoch seconds) needs one;
   * without it, every proof does. A server whose replay store began empty sets its start-up
   * plus the clock tolerance: a proof that could have been used before needs a new nonce.
   */
  readonly noncesBeforeIat?: number;
  readonly now?: () => number;
}

/** One proof to check against its request. */
export interface DpopProofInput {
  /** The `DPoP` header values; exactly one is accepted (§4.3 step 1). */
  readonly proof: string | readonly string[] | undefined;
  /** The request method. */
  readonly method: string;
  /** The request URI as the client addressed it (scheme and host as seen behind trusted proxies). */
  readonly url: string;
  /** Base64url SHA-256 of the access token presented with the proof (§4.3 step 12, `ath`). */
  readonly accessTokenHash: string;
  /** The token's `cnf.jkt` (§6.1); the proof key's thumbprint must equal it. */
  readonly boundJkt: string;
}

/** Verifies DPoP proofs (RFC 9449 §4.3); throws {@link AuthError}. */
export type DpopVerifier = (input: DpopProofInput) => Promise<void>;

/**
 * {@link DpopVerifier} without a promise when none is needed: every check runs synchronously
 * and a refusal is thrown; only a replay store that answers asynchronously (one shared by
 * several instances) makes the result a promise, settled once the `jti` is claimed.
 */
export type DpopProofCheck = (input: DpopProofInput) => undefined | Promise<void>;

/** §4.3 step 1: exactly one `DPoP` header, holding one compact JWS of a sensible size. */
function single(proof: DpopProofInput['proof']): string {
  if (proof === undefined || proof === '' || (Array.isArray(proof) && proof.length === 0))
    throw invalid('The DPoP proof header is missing');
  if (typeof proof !== 'string') {
    if (proof.length > 1) throw invalid('More than one DPoP proof header was sent');
    return single(proof[0]);
  }
  if (proof.length > MAX_PROOF_LENGTH || proof.includes(','))
    throw invalid('The DPoP header is not one compact JWS');
  return proof;
}

/** What checking proofs needs, shared by every request of one verifier. */
interface VerifierState extends ProofHeaderPolicy {
  /** Checked headers by their exact segment (only headers whose signature verified). */
  readonly headers: ExpiringLru<CheckedHeader>;
  /**
   * The header of the last proof that verified: compared whole with the next proof's header
   * segment before the map (a client sends its proofs with one header, often in a row), which
   * spares hashing the segment for the lookup.
   */
  last: CheckedHeader | undefined;
  /**
   * A URI's form for §4.3 step 9, `undefined` for one that matches nothing (not an absolute
   * http(s) URI, or a path a router reads otherwise than normalising it would), memoised.
   */
  readonly comparableHtu: (value: string) => string | undefined;
  readonly maxAgeSec: number;
  readonly toleranceSec: number;
}

/** The claims of a proof once {@link checkClaims} passed. */
type ProofClaims = Record<string, unknown> & { readonly jti: string; readonly iat: number };

/** §4.3 steps 2–7: one compact JWS, its header checked, its signature valid; the claims. */
function verifiedPayload(state: VerifierState, proof: string, nowMs: number) {
  const first = proof.indexOf('.');
  const segment = proof.slice(0, first);
  const cached = first > 0 ? cachedHeader(state.headers, state.last, segment, nowMs) : undefined;
  // RFC 7515 §7.1: three base64url segments. A cached header segment passed this already.
  PAYLOAD_AND_SIGNATURE.lastIndex = first + 1;
  if (!(cached === undefined ? looksLikeJws(proof) : PAYLOAD_AND_SIGNATURE.test(proof)))
    throw invalid('The DPoP proof is not a compact JWS');
  const second = proof.indexOf('.', first + 1);
  const header = cached?.header ?? checkProofHeader(state, segment, nowMs);
  const payload = decodeSegment(proof.slice(first + 1, second));
  if (payload === undefined) throw invalid('The DPoP proof is not a compact JWS');
  try {
    // The proof's tail matched one `.` after the header: `second` is its last one.
    verifySignatureWithNode(proof, header.alg, header.key, second);
  } catch {
    throw invalid('The DPoP proof signature is invalid');
  }
  if (cached === undefined) {
    const expiresAt = nowMs + PROOF_KEY_TTL_MS;
    state.last = { segment, header, expiresAt };
    state.headers.set(segment, state.last, expiresAt, nowMs);
  } else state.last = cached;
  return { jkt: header.jkt, payload };
}

/** §4.2 required claims; §4.3 steps 8, 9, 11, 12: the proof is for this request, and recent. */
function checkClaims(
  state: VerifierState,
  payload: Record<string, unknown>,
  input: DpopProofInput,
  nowMs: number,
): asserts payload is ProofClaims {
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256)
    throw invalid('The DPoP proof jti is missing');
  if (htm !== input.method) throw invalid('The DPoP proof htm does not match the request method');
  // §4.3 step 9: the same URI once normalised; an identical string needs only the one check.
  // A request URI that normalising would make name another resource matches no proof, and
  // neither does such an `htu` (`/lists/L/members/%2e%2e` would resolve to `/lists/L`): what
  // it names as written is not what it resolves to, so it matches no request whatever.
  const expected = state.comparableHtu(input.url);
  if (
    typeof htu !== 'string' ||
    expected === undefined ||
    (htu !== input.url && state.comparableHtu(htu) !== expected)
  )
    throw invalid('The DPoP proof htu does not match the request URI');
  const nowSec = nowMs / 1000;
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw invalid('The DPoP proof iat is missing');
  if (iat > nowSec + state.toleranceSec) throw invalid('The DPoP proof iat is in the future');
  if (iat < nowSec - state.maxAgeSec - state.toleranceSec)
    throw invalid('The DPoP proof is too old');
  if (payload.exp !== undefined || payload.nbf !== undefined)
    checkValidityWindow(payload, nowSec, state.toleranceSec);
  if (ath !== input.accessTokenHash)
    throw invalid('The DPoP proof ath does not match the access token');
}

/**
 * Creates the proof verifier. Every check of RFC 9449 §4.3 runs, cheapest first; the replay
 * cache is consulted last, so a proof refused for another reason never takes a `jti`.
 *
 * Per request the work is the signature check plus the payload's claims. The header's checks,
 * thumbprint and key import depend on the header segment alone and are cached by it once a
 * proof with that header has passed its signature check (so only signed headers take room);
 * an identical segment decodes to the identical header, so every check still holds for it.
 *
 * @example
 * ```ts
 * const verify = createDpopVerifier({ replay: new MemoryDpopReplayCache() });
 * await verify({ proof: req.headers.dpop, method: 'GET', url, accessTokenHash, boundJkt });
 * ```
 */
export function createDpopVerifier(options: DpopVerifierOptions): DpopVerifier {
  const check = createDpopProofCheck(options);
  return async (input) => check(input);
}

/** {@link createDpopVerifier}, synchronous when the replay store answers synchronously. */
export function createDpopProofCheck(options: DpopVerifierOptions): DpopProofCheck {
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (algorithms.length === 0 || algorithms.some((a) => a === 'none' || a.startsWith('HS')))
    throw new TypeError('DPoP proofs need asymmetric algorithms (RFC 9449 §4.3)');
  const now = options.now ?? Date.now;
  const state: VerifierState = {
    algorithms,
    // Imported proof keys by thumbprint, and checked headers by their segment: a client reuses
    // its key (and so its header) for every request.
    keys: new ExpiringLru<VerificationKey>(10_000),
    headers: new ExpiringLru<CheckedHeader>(10_000),
    last: undefined,
    comparableHtu: createHtuNormaliser(),
    maxAgeSec: options.maxAgeSec ?? 60,
    toleranceSec: options.clockToleranceSec ?? 5,
  };
  const { replay, nonces, noncesBeforeIat } = options;

  return (input) => {
    const proof = single(input.proof);
    const nowMs = now();
    const { jkt, payload } = verifiedPayload(state, proof, nowMs);
    checkClaims(state, payload, input, nowMs);
    // §6.1 / §7.1: the token is bound to the key that signed the proof.
    if (jkt !== input.boundJkt)
      throw new AuthError('token_binding_mismatch', 'The access token is bound to another key');
    checkProofNonce(nonces, payload, noncesBeforeIat);
    // §11.1: a proof is used once. Remembered until it would be too old anyway: it is accepted
    // through the millisecond `(iat + max age + tolerance) * 1000` itself (`checkClaims`), and a
    // store keeps a key only while its expiry is later than now, so one millisecond past it.
    const expiresAt = (payload.iat + state.maxAgeSec + state.toleranceSec) * 1000 + 1;
    const claimed =
      replay.claimProof?.(jkt, payload.jti, expiresAt) ??
      replay.claim(`${jkt}.${payload.jti}`, expiresAt);
    // An in-process store answers at once: no promise at all.
    if (typeof claimed === 'boolean') {
      if (!claimed) throw replayed();
      return undefined;
    }
    return Promise.resolve(claimed).then((first) => {
      if (!first) throw replayed();
    });
  };
}

function replayed(): AuthError {
  return invalid('The DPoP proof was already used');
}
