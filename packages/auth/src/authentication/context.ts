import { ExpiringLru } from '../cache/lru.js';
import {
  type ResolvedIssuer,
  type ResolvedSettings,
  resolveIssuer,
  resolveSettings,
} from '../config.js';
import type { AuthError } from '../errors.js';
import type { IntrospectionCacheContext } from '../introspection/cached.js';
import { IntrospectionClientState } from '../introspection/client-state.js';
import { KeyStore } from '../jwks/key-store.js';
import type { SignatureVerifier } from '../jwks/verify-signature.js';
import type { AuthEvent, AuthenticatorOptions } from '../options.js';
import type { Principal } from '../principal.js';

/** Per-request options of `Authenticator.authenticate`. */
export interface AuthenticateOptions {
  /**
   * The audiences accepted for this request, from the issuer's configured ones: a resource
   * that has its own identifier (RFC 8707 §2, RFC 9728 §1.2) accepts tokens naming it, e.g.
   * `() => ['https://api.example.com/mcp']`, or the configured ones and more,
   * `(configured) => [...configured, 'https://api.example.com']`. Default: the configured ones.
   */
  audiences?: (configured: readonly string[]) => readonly string[];
}

/** A trusted issuer and its metadata and keys. */
export interface IssuerEntry {
  readonly issuer: ResolvedIssuer;
  readonly keys: KeyStore;
  /** Whether the provider accepts the API's introspection client, from the last answer. */
  readonly client: IntrospectionClientState;
}

/**
 * What every path of an authenticator shares, built once when it is created: the options as
 * resolved, the trusted issuers and the caches. The per-request functions take it as their first
 * argument, so a request reads plain fields and creates no closure.
 */
export interface AuthContext {
  readonly options: AuthenticatorOptions;
  readonly settings: ResolvedSettings;
  readonly now: () => number;
  /** The `onEvent` hook, never throwing. */
  readonly emit: (event: AuthEvent) => void;
  readonly verifier: SignatureVerifier;
  /** By exact `iss`. */
  readonly issuers: ReadonlyMap<string, IssuerEntry>;
  /** Principals of verified JWTs, by the SHA-256 of the token. */
  readonly verified: ExpiringLru<Principal>;
  /**
   * The SHA-256 of the token each principal was verified from (its cache key): a DPoP proof's
   * `ath` (RFC 9449 §4.3 step 12) is compared with it without hashing the token a second time.
   * Kept for bound tokens (`cnf`) only: a plain bearer token's proof-less requests never ask.
   */
  readonly tokenHashes: WeakMap<Principal, string>;
  /** What cached introspection needs, its cache of answers included. */
  readonly introspection: IntrospectionCacheContext;
}

/** RFC 7662 §2.1: the introspection endpoint requires client authentication. */
export function hasIntrospectionCredentials(entry: IssuerEntry): boolean {
  return entry.issuer.clientId !== undefined && entry.issuer.clientSecret !== undefined;
}

/** The `onEvent` hook wrapped so that it never throws into a request. */
function safeEmitter(onEvent: AuthenticatorOptions['onEvent']): (event: AuthEvent) => void {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // A failing metrics hook must never change an authentication decision.
    }
  };
}

/** Resolves the options (a misconfiguration is a `TypeError` here) into an {@link AuthContext}. */
export function createAuthContext(options: AuthenticatorOptions): AuthContext {
  const settings = resolveSettings(options);
  const now = options.now ?? Date.now;
  const emit = safeEmitter(options.onEvent);
  const keyContext = { settings, fetch: options.fetch ?? globalThis.fetch, now, emit };
  const issuers = new Map<string, IssuerEntry>();
  for (const o of options.issuers) {
    const issuer = resolveIssuer(o);
    if (issuers.has(issuer.issuer))
      throw new TypeError(`Issuer ${issuer.issuer} is configured twice`);
    issuers.set(issuer.issuer, {
      issuer,
      keys: new KeyStore(issuer, keyContext),
      client: new IntrospectionClientState(issuer, keyContext),
    });
  }
  return {
    options,
    settings,
    now,
    emit,
    verifier: options.signatureVerifier ?? 'node',
    issuers,
    verified: new ExpiringLru<Principal>(settings.maxEntries),
    tokenHashes: new WeakMap<Principal, string>(),
    introspection: {
      ...keyContext,
      cache: new ExpiringLru<Principal | AuthError>(settings.maxEntries),
    },
  };
}
