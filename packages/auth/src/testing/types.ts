import type { JWK } from 'jose';
import type { IssuerOptions, ProviderProfile } from '../options.js';
import type { TestEndpoint, TestFault } from './endpoints.js';
import type { SigningKey, TestAlgorithm } from './keys.js';
import type { TestUser } from './users.js';

/** Options of `startTestIssuer`. */
export interface TestIssuerOptions {
  /** Token shapes and endpoint layout; default `keycloak`. */
  profile?: ProviderProfile;
  /** Signing algorithm; default RS256. */
  algorithm?: TestAlgorithm;
  /** Issuer path; default `/realms/todo-app`, `/application/o/todo-app/` or `` (generic). */
  path?: string;
  /** The API audience; default `todo-api`. */
  audience?: string;
  /** Client that tokens are issued to (`azp`); default `todo-ui` (Authentik: `todo-cli`). */
  client?: string;
  /** Introspection client credentials; default `todo-api` / `todo-api-secret`. */
  clientId?: string;
  clientSecret?: string;
  /** Clock for `iat`/`exp` and introspection, in ms; default `Date.now`. */
  now?: () => number;
  /** Access-token lifetime; default 300 s (Keycloak's 5 minutes). */
  tokenLifetimeSec?: number;
}

/** Per-token overrides. A claim or header member set to `undefined` is removed. */
export interface TestTokenOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  expiresInSec?: number;
  /** Issue time in seconds; default now. */
  issuedAt?: number;
  /** `azp` / client of the token. */
  client?: string;
  sessionId?: string;
  /** Sign with this key instead of the current one (its `kid` goes in the header). */
  key?: SigningKey;
}

/** A running local OIDC issuer for tests. */
export interface TestIssuer {
  readonly issuer: string;
  readonly origin: string;
  readonly profile: ProviderProfile;
  readonly algorithm: TestAlgorithm;
  readonly audience: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly introspectionEndpoint: string;
  /** Requests served per endpoint (faulted ones included). */
  readonly counters: Readonly<Record<TestEndpoint, number>>;
  /** The `kid` new tokens are signed with. */
  readonly currentKid: string;
  /** `kid`s of the published JWKS. */
  publishedKids(): string[];
  /** Ready-made options for `createAuthenticator({ issuers: [...] })`. */
  issuerOptions(overrides?: Partial<IssuerOptions>): IssuerOptions;
  accessToken(user?: Partial<TestUser>, options?: TestTokenOptions): Promise<string>;
  idToken(user?: Partial<TestUser>, options?: TestTokenOptions): Promise<string>;
  refreshToken(user?: Partial<TestUser>, options?: TestTokenOptions): Promise<string>;
  /** Back-channel logout token for `sub` and/or `sid` (pass `sub: undefined` to leave it out). */
  logoutToken(target: { sub?: string; sid?: string }, options?: TestTokenOptions): Promise<string>;
  /** An opaque (non-JWT) access token known to the introspection endpoint. */
  opaqueToken(user?: Partial<TestUser>, options?: TestTokenOptions): Promise<string>;
  /** Signs arbitrary claims with the current key (adversarial tests). */
  sign(
    claims: Record<string, unknown>,
    header?: Record<string, unknown>,
    key?: SigningKey,
  ): Promise<string>;
  /** Publishes a new current key; the previous one stays published unless `retirePrevious`. */
  rotateKeys(options?: {
    retirePrevious?: boolean;
    algorithm?: TestAlgorithm;
  }): Promise<SigningKey>;
  /** Stops publishing a key. */
  removeKey(kid: string): void;
  /** Publishes an extra raw JWK (e.g. a `use: "enc"` key). */
  publishJwk(jwk: JWK): void;
  /** Makes endpoints fail (default all three) until cleared with `setFault(undefined)`. */
  setFault(
    fault: TestFault | undefined,
    options?: { endpoints?: readonly TestEndpoint[]; delayMs?: number },
  ): void;
  /** Makes introspection answer `active: false` for this token from now on. */
  revoke(token: string): void;
  resetCounters(): void;
  close(): Promise<void>;
}
