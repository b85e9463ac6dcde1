import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AuthError } from '../errors.js';

/** Largest token accepted: Keycloak tokens with many roles reach a few KiB; beyond is abuse. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A compact JWS split and decoded, NOT verified: used only to route it to an issuer and key. */
export interface DecodedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Whether the string has the shape of a compact JWS (RFC 7515 §7.1); says nothing of validity. */
export function looksLikeJws(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(token);
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
  // jose's decoders parse the segments (base64url, UTF-8, JSON object); nothing is trusted yet.
  try {
    return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
  } catch (cause) {
    throw new AuthError('token_malformed', 'The token header or payload is not a JSON object', {
      cause,
    });
  }
}
