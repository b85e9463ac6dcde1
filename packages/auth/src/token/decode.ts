import { isUtf8 } from 'node:buffer';
import { AuthError } from '../errors.js';

/** Largest token accepted: Keycloak tokens with many roles reach a few KiB; beyond is abuse. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A compact JWS split and decoded, NOT verified: used only to route it to an issuer and key. */
export interface DecodedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * The last token whose compact JWS shape was already checked where it was read
 * ({@link noteCompactJws}), taken by the next {@link looksLikeJws}. One string at most, and only
 * until the token is routed, usually in the same synchronous call.
 */
let checkedShape: string | undefined;

/**
 * Records that `token` was just matched against the compact JWS alphabet (the `Authorization`
 * header's own check, `fastify/bearer.ts`), so that routing it does not scan its 1–2 KB again.
 * Only the string's content counts: {@link looksLikeJws} compares it whole, so a different
 * string is always checked itself.
 */
export function noteCompactJws(token: string): void {
  checkedShape = token;
}

/** Whether the string has the shape of a compact JWS (RFC 7515 §7.1); says nothing of validity. */
export function looksLikeJws(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH) return false;
  if (checkedShape !== undefined && token === checkedShape) {
    checkedShape = undefined;
    return true;
  }
  return COMPACT_JWS.test(token);
}

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without verifying it. Rejects oversized
 * tokens, characters outside base64url, JWE (5 segments) and non-object segments.
 */
export function decodeToken(token: string): DecodedToken {
  if (token.length > MAX_TOKEN_LENGTH)
    throw new AuthError('token_malformed', `The token is larger than ${MAX_TOKEN_LENGTH} bytes`);
  if (!COMPACT_JWS.test(token))
    throw new AuthError('token_malformed', 'The token is not a compact JWS of base64url segments');
  return decodeCompactJws(token);
}

/**
 * {@link decodeToken} for a string that already passed {@link looksLikeJws}: the shape check is
 * not repeated.
 */
export function decodeCompactJws(token: string): DecodedToken {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const header = decodeHeader(token.slice(0, first));
  const payload = decodeSegment(token.slice(first + 1, second));
  if (header === undefined || payload === undefined)
    throw new AuthError('token_malformed', 'The token header or payload is not a JSON object');
  return { header, payload };
}

/** Distinct header segments remembered; past it the memory starts afresh. */
const HEADER_MEMORY = 64;
/**
 * Decoded headers by their exact segment: an issuer signs every token with a few headers (one
 * per key), so a new token's header is usually one seen before. Frozen, as they are shared.
 */
const headers = new Map<string, Readonly<Record<string, unknown>>>();

/** {@link decodeSegment} of a JOSE header (RFC 7515 §4), remembered by its segment. */
function decodeHeader(segment: string): Readonly<Record<string, unknown>> | undefined {
  const known = headers.get(segment);
  if (known !== undefined) return known;
  const header = decodeSegment(segment);
  if (header === undefined) return undefined;
  if (headers.size >= HEADER_MEMORY) headers.clear();
  headers.set(segment, Object.freeze(header));
  return header;
}

/**
 * Where segments are decoded: one buffer for the process, written and read back within one
 * synchronous call, so a segment costs no buffer of its own (no pool slab, no external memory
 * for the garbage collector to account). A segment of a token within {@link MAX_TOKEN_LENGTH}
 * always fits; a longer one (never from a token) gets a buffer of its own.
 */
const scratch = Buffer.allocUnsafeSlow(MAX_TOKEN_LENGTH);

/**
 * One base64url segment (RFC 7515 §2, no padding) as a JSON object (RFC 7515 §4, RFC 7519 §7.2
 * step 10), or undefined. The caller checked the alphabet; `Buffer.from` would otherwise skip
 * foreign characters silently. A length of 4n+1 cannot be base64 and is refused, the bytes must
 * be UTF-8 (RFC 7515 §5.2 step 3) and the JSON a plain object, not an array, string or null.
 * The bytes are read back as UTF-8 straight away (one call; ASCII, nearly every token, takes the
 * decoder's fast path): the decoder puts U+FFFD where bytes are not UTF-8, so only a text holding
 * U+FFFD has its bytes checked, and a segment that is not UTF-8 is refused.
 */
export function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (segment.length % 4 === 1) return undefined;
  const inScratch = segment.length <= MAX_TOKEN_LENGTH;
  const bytes = inScratch ? scratch : Buffer.from(segment, 'base64url');
  const length = inScratch ? scratch.write(segment, 0, 'base64url') : bytes.length;
  let text = bytes.toString('utf8', 0, length);
  if (text.includes('\ufffd') && !isUtf8(bytes.subarray(0, length))) return undefined;
  // A leading byte-order mark is dropped, as the WHATWG UTF-8 decoder (and jose) does.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return parsed as Record<string, unknown>;
}
