import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../errors.js';

/** Server-provided DPoP nonces (RFC 9449 §8): what the verifier asks of a nonce source. */
export interface DpopNonceSource {
  /** The nonce to send now in `DPoP-Nonce` (§8.1). */
  current(): string;
  /** Whether a proof's `nonce` claim is one this server issued and still accepts (§8.2). */
  accepts(nonce: string): boolean;
}

/** Options of {@link createDpopNonces}. */
export interface DpopNonceOptions {
  /** Secret shared by every instance (at least 32 bytes), so any of them accepts any nonce. */
  readonly secret: string | Buffer;
  /** How long one nonce is current, in seconds (default 60); the previous one is also accepted. */
  readonly lifetimeSec?: number;
  readonly now?: () => number;
}

/**
 * Stateless nonces: an HMAC of the current time window. Every instance holding the same secret
 * issues and accepts the same values, so a cluster needs no shared store for them, and a nonce
 * stops being accepted after at most two windows.
 *
 * @example
 * ```ts
 * const nonces = createDpopNonces({ secret: process.env.DPOP_NONCE_SECRET! });
 * ```
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonceSource {
  const secret = Buffer.from(options.secret);
  if (secret.length < 32) throw new TypeError('The DPoP nonce secret needs at least 32 bytes');
  const lifetimeMs = (options.lifetimeSec ?? 60) * 1000;
  if (!Number.isFinite(lifetimeMs) || lifetimeMs < 1000)
    throw new TypeError('The DPoP nonce lifetime must be at least 1 second');
  const now = options.now ?? Date.now;
  // The nonces of the last two windows asked for: each HMAC is computed once per window, not
  // once or twice per request.
  const recent = new Map<number, Buffer>();
  const nonceOf = (window: number): Buffer => {
    let nonce = recent.get(window);
    if (nonce === undefined) {
      nonce = Buffer.from(
        createHmac('sha256', secret).update(`dpop-nonce:${window}`).digest('base64url'),
      );
      if (recent.size >= 2) recent.delete(recent.keys().next().value as number);
      recent.set(window, nonce);
    }
    return nonce;
  };
  const window = () => Math.floor(now() / lifetimeMs);
  return {
    current: () => nonceOf(window()).toString(),
    accepts: (nonce) => {
      const given = Buffer.from(nonce);
      const w = window();
      return [w, w - 1].some((candidate) => {
        const expected = nonceOf(candidate);
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}

/**
 * §8.2: a server-provided nonce, when the server asks for one: of every proof, or, with
 * `beforeIat`, of a proof whose `iat` (already checked to be a number) is earlier than it.
 */
export function checkProofNonce(
  nonces: DpopNonceSource | undefined,
  payload: Record<string, unknown>,
  beforeIat?: number,
): void {
  if (nonces === undefined) return;
  if (beforeIat !== undefined && (payload.iat as number) >= beforeIat) return;
  const nonce = payload.nonce;
  if (typeof nonce !== 'string' || !nonces.accepts(nonce))
    throw new AuthError('dpop_nonce_required', 'The DPoP proof needs the current nonce', {
      nonce: nonces.current(),
    });
}
