import { constants, verify as nodeVerify } from 'node:crypto';
import { compactVerify, errors } from 'jose';
import { AuthError } from '../errors.js';
import { MAX_TOKEN_LENGTH } from '../token/decode.js';
import type { VerificationKey } from './import-key.js';

/**
 * How signatures are checked. `node` (default) calls `node:crypto.verify` synchronously on the
 * imported `KeyObject`; `jose` calls jose's `compactVerify` (WebCrypto, asynchronous). Both take
 * the same header, key-type, key-size and claim checks; `node` is about 3× faster per token here
 * because WebCrypto verification hops through the thread pool and several promises.
 */
export type SignatureVerifier = 'node' | 'jose';

interface NodeParams {
  readonly hash: string | null;
  /** What `crypto.verify` needs beside the key; none: the `KeyObject` is passed as it is. */
  readonly options?: {
    readonly padding?: number;
    readonly saltLength?: number;
    readonly dsaEncoding?: 'ieee-p1363';
  };
}

/**
 * The key argument of `crypto.verify`: the `KeyObject` alone, or with the algorithm's options in
 * an object of one fixed shape (an absent option is `undefined`, which `crypto.verify` reads as
 * not given), built without spreading the options on every call.
 */
function keyArgument(params: NodeParams, key: VerificationKey) {
  const options = params.options;
  if (options === undefined) return key.key;
  return {
    key: key.key,
    padding: options.padding,
    saltLength: options.saltLength,
    dsaEncoding: options.dsaEncoding,
  };
}

/**
 * RFC 7518 §3.3 (RSASSA-PKCS1-v1_5: `crypto.verify`'s default padding for RSA keys), §3.5
 * (RSASSA-PSS, salt = hash length), §3.4 (ECDSA, R||S), RFC 8037 §3.1 (EdDSA).
 */
const NODE_PARAMS: Readonly<Record<string, NodeParams>> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  PS384: { hash: 'sha384', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 } },
  PS512: { hash: 'sha512', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  ES512: { hash: 'sha512', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
};

/** ECDSA signature lengths in JWS form (RFC 7518 §3.4: R and S, each the curve size). */
const EC_SIGNATURE_BYTES: Readonly<Record<string, number>> = { ES256: 64, ES384: 96, ES512: 132 };

function invalid(cause?: unknown): AuthError {
  return new AuthError('signature_invalid', 'The token signature is invalid', { cause });
}

/** Verifies with jose's `compactVerify` (WebCrypto). */
export async function verifySignatureWithJose(
  token: string,
  alg: string,
  key: VerificationKey,
): Promise<void> {
  try {
    await compactVerify(token, key.key, { algorithms: [alg] });
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed) throw invalid(e);
    throw new AuthError('token_malformed', 'The token is not a valid JWS', { cause: e });
  }
}

/**
 * The signing input and the signature of the token being verified, written one after the other
 * and handed to the synchronous `crypto.verify` as views: no buffer per token. A JWS longer
 * than it (never a token within the size limit) gets buffers of its own.
 */
const scratch = Buffer.allocUnsafeSlow(MAX_TOKEN_LENGTH);

/**
 * The last two views of {@link scratch} handed to `crypto.verify`, kept while the next token's
 * signing input and signature end where its did: a client's proofs (and an issuer's tokens) are
 * mostly of one length, and a view is an object V8 builds in several steps. They show whatever
 * {@link scratch} holds, written anew for each token before the synchronous call reads it.
 */
let views: {
  readonly dot: number;
  readonly end: number;
  readonly input: Buffer;
  readonly signature: Buffer;
} = {
  dot: 0,
  end: 0,
  input: scratch.subarray(0, 0),
  signature: scratch.subarray(0, 0),
};

/**
 * Verifies with `node:crypto.verify`, synchronously. The algorithm and key were already matched
 * by `keyFitsAlgorithm`, so `alg` cannot be `none`, HMAC, or a type the key does not have.
 * The signing input is the ASCII of `header.payload` (RFC 7515 §5.2 step 8); writing a string
 * as `latin1` is what Node's `ascii` encoding does for writes. `lastDot`: the index of the
 * token's last `.`, when the caller found it already (V8's `lastIndexOf` is a runtime call).
 */
export function verifySignatureWithNode(
  token: string,
  alg: string,
  key: VerificationKey,
  lastDot?: number,
): void {
  const params = NODE_PARAMS[alg];
  if (params === undefined)
    throw new AuthError('alg_not_allowed', `Algorithm ${alg} is not supported`);
  const dot = lastDot ?? token.lastIndexOf('.');
  if (dot < 0) throw invalid();
  let input: Buffer;
  let signature: Buffer;
  if (token.length <= scratch.length) {
    const end = dot + scratch.write(token.slice(dot + 1), dot, 'base64url');
    scratch.write(token, 0, dot, 'latin1');
    if (views.dot !== dot || views.end !== end)
      views = {
        dot,
        end,
        input: scratch.subarray(0, dot),
        signature: scratch.subarray(dot, end),
      };
    input = views.input;
    signature = views.signature;
  } else {
    input = Buffer.from(token.slice(0, dot), 'latin1');
    signature = Buffer.from(token.slice(dot + 1), 'base64url');
  }
  const ecBytes = EC_SIGNATURE_BYTES[alg];
  if (signature.length === 0 || (ecBytes !== undefined && signature.length !== ecBytes))
    throw invalid();
  let ok: boolean;
  try {
    ok = nodeVerify(params.hash, input, keyArgument(params, key), signature);
  } catch (cause) {
    throw invalid(cause);
  }
  if (!ok) throw invalid();
}
