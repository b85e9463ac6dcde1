import { createLocalJWKSet, jwtVerify } from 'jose';
import type { SigningKey } from './keys.js';

/** The test issuer's own check of a token it is asked to introspect: its keys, its `iss`. */
export async function verifyOwnToken(
  token: string,
  keys: readonly SigningKey[],
  issuer: string,
  nowMs: number,
): Promise<Record<string, unknown> | undefined> {
  try {
    const jwks = createLocalJWKSet({ keys: keys.map((k) => k.publicJwk) });
    const { payload } = await jwtVerify(token, jwks, { issuer, currentDate: new Date(nowMs) });
    return payload as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
