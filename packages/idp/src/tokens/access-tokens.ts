import type { EventEmitter } from 'node:events';
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';
import type { MemoryStore } from '../adapter.js';
import type { IdpKeys } from './keys.js';

/** What the dev IdP remembers of an access token it issued as a JWT. */
export interface IssuedAccessToken {
  jti: string;
  clientId: string;
  accountId?: string | undefined;
  grantId?: string | undefined;
  sessionUid?: string | undefined;
  expiresWithSession?: boolean | undefined;
  scope?: string | undefined;
}

/**
 * How many verified access tokens the registry remembers the claims of (the oldest is
 * forgotten first): a client calling with one token over and over (the API's service account
 * reading a page's people, one admin call a person) has its signature checked once.
 */
const REMEMBERED_TOKENS = 1000;

interface IssuedEventToken extends IssuedAccessToken {
  exp?: number;
  expiration?: number;
}

/**
 * oidc-provider does not store JWT access tokens, so it can neither introspect, revoke nor answer
 * userinfo for them. Keycloak can; the dev IdP records every JWT it issues (by `jti`, indexed by
 * grant so that logout revokes them) and checks presented tokens against that record.
 */
export class AccessTokenRegistry {
  readonly #adapter;
  readonly #jwks;
  readonly #issuer: string;
  readonly #provider: Provider;
  /** Claims of tokens whose signature and issuer were verified, by the token's whole text. */
  readonly #verified = new Map<string, JWTPayload>();

  constructor(provider: Provider, store: MemoryStore, keys: IdpKeys, issuer: string) {
    this.#provider = provider;
    this.#issuer = issuer;
    this.#adapter = new (store.adapterFor())('IssuedAccessToken');
    this.#jwks = createLocalJWKSet({
      keys: keys.signing.map(
        ({ kty, n, e, kid, alg }) => ({ kty, n, e, kid, alg, use: 'sig' }) as never,
      ),
    });
    const record = (token: IssuedEventToken) => {
      const now = Math.floor(Date.now() / 1000);
      const ttl = token.exp ? token.exp - now : (token.expiration ?? 0);
      if (ttl <= 0) return;
      const { jti, clientId, accountId, grantId, sessionUid, expiresWithSession, scope } = token;
      void this.#adapter.upsert(
        jti,
        { jti, clientId, accountId, grantId, sessionUid, expiresWithSession, scope },
        ttl,
      );
    };
    // oidc-provider emits `<kind>.issued` for tokens it does not store (its typings omit them).
    const events = provider as unknown as EventEmitter;
    events.on('access_token.issued', record);
    events.on('client_credentials.issued', record);
  }

  /**
   * Verifies a presented access token: signature and `iss` (RFC 9068 §4), expiry, and that it is
   * neither revoked nor bound to a session that has ended.
   */
  async verify(
    value: string,
  ): Promise<{ claims: JWTPayload; record: IssuedAccessToken } | undefined> {
    const claims = await this.#claims(value);
    if (claims === undefined || typeof claims.jti !== 'string') return undefined;
    const record = (await this.#adapter.find(claims.jti)) as IssuedAccessToken | undefined;
    if (!record) return undefined;
    if (record.expiresWithSession && record.sessionUid) {
      const session = await this.#provider.Session.findByUid(record.sessionUid);
      if (!session || session.accountId !== record.accountId) return undefined;
    }
    return { claims, record };
  }

  /**
   * The claims of a token this IdP signed, for its issuer, not expired (RFC 7519 §4.1.4). The
   * signature of a token is checked once (RS256 took most of an admin call's time), and its
   * claims remembered by its exact text until it expires; the record and the session are
   * checked on every call all the same ({@link verify}), so revocation and logout still end it
   * at once. Only verified tokens are remembered, never a text presented in vain.
   */
  async #claims(value: string): Promise<JWTPayload | undefined> {
    const known = this.#verified.get(value);
    if (known !== undefined) {
      // jose's own rule: expired once `exp` is now or past.
      if ((known.exp ?? 0) > Math.floor(Date.now() / 1000)) return known;
      this.#verified.delete(value);
      return undefined;
    }
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(value, this.#jwks, {
        issuer: this.#issuer,
        algorithms: ['RS256'],
      }));
    } catch {
      return undefined;
    }
    // A token without `exp` is not remembered: it is verified whenever it comes.
    if (typeof claims.exp === 'number') {
      if (this.#verified.size >= REMEMBERED_TOKENS) {
        const oldest = this.#verified.keys().next().value;
        if (oldest !== undefined) this.#verified.delete(oldest);
      }
      this.#verified.set(value, claims);
    }
    return claims;
  }

  async revoke(jti: string): Promise<void> {
    await this.#adapter.destroy(jti);
  }
}
