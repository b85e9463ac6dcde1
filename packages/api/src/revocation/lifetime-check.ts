import type { Logger } from 'pino';
import type { RevocablePrincipal } from './set.js';

/** What a verified access token tells of its issuer's token lifetime. */
export interface TokenLifetime extends RevocablePrincipal {
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Warns when an issuer's access tokens outlive `REVOCATION_TTL_SECONDS`. A revocation is kept
 * that long; a token that lives longer and was revoked would be accepted again once its
 * revocation is dropped, until it expires. No provider advertises its access-token lifetime in
 * its metadata (OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 define no such field), so it is
 * read from the tokens themselves: `exp - iat` (RFC 7519 §4.1.4, §4.1.6) of each verified token.
 * One warning per issuer, repeated only for a longer lifetime than the one already reported.
 */
export class TokenLifetimeCheck {
  readonly #ttlSeconds: number;
  readonly #logger: Pick<Logger, 'warn'>;
  /** The longest lifetime reported so far, per issuer. */
  readonly #reported = new Map<string, number>();

  constructor(ttlSeconds: number, logger: Pick<Logger, 'warn'>) {
    this.#ttlSeconds = ttlSeconds;
    this.#logger = logger;
  }

  /** Called for every verified token: two subtractions and a map lookup. */
  observe(token: TokenLifetime): void {
    if (token.issuedAt === undefined) return;
    const lifetime = token.expiresAt - token.issuedAt;
    if (lifetime <= this.#ttlSeconds) return;
    if (lifetime <= (this.#reported.get(token.issuer) ?? 0)) return;
    this.#reported.set(token.issuer, lifetime);
    this.#logger.warn(
      {
        issuer: token.issuer,
        accessTokenLifetimeSeconds: lifetime,
        revocationTtlSeconds: this.#ttlSeconds,
      },
      `REVOCATION_TTL_SECONDS (${this.#ttlSeconds}) is shorter than this issuer's access-token ` +
        `lifetime (${lifetime} s): a revoked session's tokens would be accepted again before ` +
        `they expire. Set REVOCATION_TTL_SECONDS to at least ${lifetime}.`,
    );
  }
}
