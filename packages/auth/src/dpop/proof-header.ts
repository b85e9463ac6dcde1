import { createPublicKey } from 'node:crypto';
import type { ExpiringLru } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import { keyFitsAlgorithm, PRIVATE_JWK_MEMBERS, type VerificationKey } from '../jwks/import-key.js';
import { decodeSegment } from '../token/decode.js';
import { typNames } from '../token/media-type.js';
import { jwkThumbprint } from './thumbprint.js';

/** How long an imported key or a checked header is kept, in milliseconds. */
export const PROOF_KEY_TTL_MS = 3_600_000;

/** A refused proof: `dpop_proof_invalid` with what was wrong. */
export function invalid(description: string): AuthError {
  return new AuthError('dpop_proof_invalid', description);
}

/**
 * What a proof's protected header establishes: its algorithm and the public key with its
 * RFC 7638 thumbprint. A client signs every proof with the same key and header, so this is
 * worked out once per distinct header (the exact base64url segment) and cached.
 */
export interface ProofKey {
  readonly alg: string;
  readonly key: VerificationKey;
  readonly jkt: string;
}

/** A checked header with the segment it was read from and when it stops being trusted. */
export interface CheckedHeader {
  readonly segment: string;
  readonly header: ProofKey;
  readonly expiresAt: number;
}

/**
 * The checked header of this exact segment, if one is cached and not expired: `last`, the
 * header of the last proof that verified, is compared whole first (a client sends its proofs
 * with one header, often in a row), which spares hashing the segment for the map lookup.
 */
export function cachedHeader(
  headers: ExpiringLru<CheckedHeader>,
  last: CheckedHeader | undefined,
  segment: string,
  nowMs: number,
): CheckedHeader | undefined {
  // An identical segment decodes to the identical header: every header check holds for it.
  if (last !== undefined && segment === last.segment && nowMs < last.expiresAt) return last;
  return headers.get(segment, nowMs);
}

/** What header checks need: the accepted algorithms and the imported keys by thumbprint. */
export interface ProofHeaderPolicy {
  readonly algorithms: readonly string[];
  readonly keys: ExpiringLru<VerificationKey>;
}

/** The proof's public key, imported once per thumbprint (a client reuses its key). */
function importKey(
  keys: ExpiringLru<VerificationKey>,
  jwk: Record<string, unknown>,
  jkt: string,
  nowMs: number,
): VerificationKey {
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
  keys.set(jkt, key, nowMs + PROOF_KEY_TTL_MS, nowMs);
  return key;
}

/**
 * RFC 9449 §4.3 steps 2 and 4–6: no critical extension, type, algorithm, public key only (not
 * yet the signature).
 */
export function checkProofHeader(
  policy: ProofHeaderPolicy,
  segment: string,
  nowMs: number,
): ProofKey {
  const header = decodeSegment(segment);
  if (header === undefined) throw invalid('The DPoP proof is not a compact JWS');
  // RFC 9449 §4.3 step 4 asks for `typ` dpop+jwt, a media type (RFC 7515 §4.1.9): any case, with
  // or without `application/`.
  if (!typNames(header.typ, 'dpop+jwt')) throw invalid('The DPoP proof typ is not dpop+jwt');
  // RFC 7515 §4.1.11: a recipient that does not understand an extension marked critical must
  // refuse the JWS, and none is understood here (RFC 7797 `b64: false` would even change what
  // the signature covers); RFC 9449 §4.3 step 2 needs a well-formed JWT.
  if (header.crit !== undefined)
    throw invalid('The DPoP proof header has critical extensions this server does not support');
  const alg = header.alg;
  const { algorithms } = policy;
  if (typeof alg !== 'string' || !algorithms.includes(alg))
    throw invalid(`The DPoP proof algorithm is not one of ${algorithms.join(' ')}`);
  const jwk = header.jwk;
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk))
    throw invalid('The DPoP proof has no jwk header');
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_JWK_MEMBERS.some((m) => m in members))
    throw invalid('The DPoP proof jwk carries private key material');
  const jkt = jwkThumbprint(members);
  if (jkt === undefined) throw invalid('The DPoP proof jwk is not a public RSA, EC or OKP key');
  const key = importKey(policy.keys, members, jkt, nowMs);
  if (!keyFitsAlgorithm(key, alg)) throw invalid(`The DPoP proof key does not fit ${alg}`);
  return { alg, key, jkt };
}
