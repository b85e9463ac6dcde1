import { createPublicKey } from 'node:crypto';
import { ExpiringLru } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import { keyFitsAlgorithm, type VerificationKey } from '../jwks/import-key.js';
import { verifySignatureWithNode } from '../jwks/verify-signature.js';
import { decodeSegment, looksLikeJws } from '../token/decode.js';
import { createHtuNormaliser } from './htu.js';
import type { DpopNonceSource } from './nonce.js';
import type { DpopReplayCache } from './replay.js';
import { jwkThumbprint } from './thumbprint.js';

/** Asymmetric algorithms accepted for proofs by default (RFC 9449 §4.3 step 5: never `none` or MAC). */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'RS256',
  'EdDSA',
]);

/** JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

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

function invalid(description: string): AuthError {
  return new AuthError('dpop_proof_invalid', description);
}

/**
 * What a proof's protected header establishes: its algorithm and the public key with its
 * RFC 7638 thumbprint. A client signs every proof with the same key and header, so this is
 * worked out once per distinct header (the exact base64url segment) and cached.
 */
interface ProofKey {
  readonly alg: string;
  readonly key: VerificationKey;
  readonly jkt: string;
}

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
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (algorithms.length === 0 || algorithms.some((a) => a === 'none' || a.startsWith('HS')))
    throw new TypeError('DPoP proofs need asymmetric algorithms (RFC 9449 §4.3)');
  const maxAgeSec = options.maxAgeSec ?? 60;
  const toleranceSec = options.clockToleranceSec ?? 5;
  const now = options.now ?? Date.now;
  // Imported proof keys by thumbprint, and checked headers by their segment: a client reuses
  // its key (and so its header) for every request.
  const keys = new ExpiringLru<VerificationKey>(10_000);
  const headers = new ExpiringLru<ProofKey>(10_000);
  const normaliseHtu = createHtuNormaliser();

  const importKey = (jwk: Record<string, unknown>, jkt: string, nowMs: number) => {
    const cached = keys.get(jkt, nowMs);
    if (cached !== undefined) return cached;
    let key: VerificationKey;
    try {
      const object = createPublicKey({ key: jwk as never, format: 'jwk' });
      const details = object.asymmetricKeyDetails ?? {};
      key = {
        key: object,
        type: object.asymmetricKeyType ?? 'unknown',
        ...(details.namedCurve === undefined ? {} : { curve: details.namedCurve }),
        ...(details.modulusLength === undefined ? {} : { modulusLength: details.modulusLength }),
      };
    } catch {
      throw invalid('The DPoP proof key cannot be imported');
    }
    keys.set(jkt, key, nowMs + 3_600_000, nowMs);
    return key;
  };

  /** §4.3 steps 4–6: type, algorithm, public key only (not yet the signature). */
  const checkHeader = (segment: string, nowMs: number): ProofKey => {
    const header = decodeSegment(segment);
    if (header === undefined) throw invalid('The DPoP proof is not a compact JWS');
    if (header.typ !== 'dpop+jwt') throw invalid('The DPoP proof typ is not dpop+jwt');
    const alg = header.alg;
    if (typeof alg !== 'string' || !algorithms.includes(alg))
      throw invalid(`The DPoP proof algorithm is not one of ${algorithms.join(' ')}`);
    const jwk = header.jwk;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk))
      throw invalid('The DPoP proof has no jwk header');
    const members = jwk as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((m) => m in members))
      throw invalid('The DPoP proof jwk carries private key material');
    const jkt = jwkThumbprint(members);
    if (jkt === undefined) throw invalid('The DPoP proof jwk is not a public RSA, EC or OKP key');
    const key = importKey(members, jkt, nowMs);
    if (!keyFitsAlgorithm(key, alg)) throw invalid(`The DPoP proof key does not fit ${alg}`);
    return { alg, key, jkt };
  };

  /** §4.3 steps 2–7: one compact JWS, its header checked, its signature valid; the claims. */
  const verifiedPayload = (proof: string, nowMs: number) => {
    const first = proof.indexOf('.');
    const segment = proof.slice(0, first);
    const cached = first > 0 ? headers.get(segment, nowMs) : undefined;
    // RFC 7515 §7.1: three base64url segments. A cached header segment passed this already.
    PAYLOAD_AND_SIGNATURE.lastIndex = first + 1;
    if (!(cached === undefined ? looksLikeJws(proof) : PAYLOAD_AND_SIGNATURE.test(proof)))
      throw invalid('The DPoP proof is not a compact JWS');
    const second = proof.indexOf('.', first + 1);
    const header = cached ?? checkHeader(segment, nowMs);
    const payload = decodeSegment(proof.slice(first + 1, second));
    if (payload === undefined) throw invalid('The DPoP proof is not a compact JWS');
    try {
      verifySignatureWithNode(proof, header.alg, header.key);
    } catch {
      throw invalid('The DPoP proof signature is invalid');
    }
    if (cached === undefined) headers.set(segment, header, nowMs + 3_600_000, nowMs);
    return { jkt: header.jkt, payload };
  };

  return async (input) => {
    const proof = single(input.proof);
    const nowMs = now();
    const { jkt, payload } = verifiedPayload(proof, nowMs);
    // §4.2 required claims; §4.3 steps 8, 9, 11, 12.
    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti === '' || jti.length > 256)
      throw invalid('The DPoP proof jti is missing');
    if (htm !== input.method) throw invalid('The DPoP proof htm does not match the request method');
    // §4.3 step 9: the same URI once normalised; an identical string needs only the one check.
    const expected = normaliseHtu(input.url);
    if (
      typeof htu !== 'string' ||
      expected === undefined ||
      (htu !== input.url && normaliseHtu(htu) !== expected)
    )
      throw invalid('The DPoP proof htu does not match the request URI');
    const nowSec = nowMs / 1000;
    if (typeof iat !== 'number' || !Number.isFinite(iat))
      throw invalid('The DPoP proof iat is missing');
    if (iat > nowSec + toleranceSec) throw invalid('The DPoP proof iat is in the future');
    if (iat < nowSec - maxAgeSec - toleranceSec) throw invalid('The DPoP proof is too old');
    if (ath !== input.accessTokenHash)
      throw invalid('The DPoP proof ath does not match the access token');
    // §6.1 / §7.1: the token is bound to the key that signed the proof.
    if (jkt !== input.boundJkt)
      throw new AuthError('token_binding_mismatch', 'The access token is bound to another key');
    // §8.2: a server-provided nonce, when the server asks for them.
    if (options.nonces !== undefined) {
      const nonce = payload.nonce;
      if (typeof nonce !== 'string' || !options.nonces.accepts(nonce))
        throw new AuthError('dpop_nonce_required', 'The DPoP proof needs the current nonce', {
          nonce: options.nonces.current(),
        });
    }
    // §11.1: a proof is used once. Remembered until it would be too old anyway.
    const expiresAt = (iat + maxAgeSec + toleranceSec) * 1000;
    const claimed = options.replay.claim(`${jkt}.${jti}`, expiresAt);
    // An in-process cache answers at once: no promise to wait for.
    if (!(typeof claimed === 'boolean' ? claimed : await claimed))
      throw invalid('The DPoP proof was already used');
  };
}
