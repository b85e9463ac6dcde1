import { splitPath } from './claims/read.js';
import type { DpopMode } from './dpop/sender.js';
import type { AuthenticatorOptions, IssuerOptions, ProviderProfile } from './options.js';
import { PROFILE_NAMES, PROFILES } from './profiles/index.js';

/** Algorithms accepted by default: asymmetric only (RFC 8725 §3.1, §3.2). */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'PS256',
  'ES256',
  'EdDSA',
]);

/** Asymmetric JWS algorithms this package can verify (RFC 7518 §3.1, RFC 8037). */
const SUPPORTED = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/** The provider profile of an issuer that names none. */
export const DEFAULT_PROFILE: ProviderProfile = 'keycloak';

/**
 * Issuer options that cannot be used: a `TypeError` (misuse, found at start-up) that names the
 * offending option, so an application can point at its own setting (an environment variable).
 */
export class IssuerOptionError extends TypeError {
  override readonly name = 'IssuerOptionError';
  readonly code = 'ERR_ISSUER_OPTION';
  constructor(
    /** The option of {@link IssuerOptions} at fault. */
    readonly option: keyof IssuerOptions,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An issuer with every default applied; frozen. */
export interface ResolvedIssuer {
  readonly issuer: string;
  readonly discoveryUrl?: string;
  readonly audiences: readonly string[];
  readonly profile: ProviderProfile;
  readonly verify: 'jwt' | 'introspect';
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSec: number;
  readonly rolesPath: readonly string[];
  readonly permissionsPath: readonly string[];
  readonly adminRole: string;
  readonly attributeClaims: readonly string[];
  /** As configured; `undefined` follows the authenticator (allowed with a DPoP verifier). */
  readonly dpop?: DpopMode;
  /** Only RFC 9068 `at+jwt` access tokens (header `typ`) are accepted. */
  readonly requireAtJwtTyp: boolean;
}

/** Global settings with defaults applied. */
export interface ResolvedSettings {
  readonly jwksTtlMs: number;
  readonly jwksCooldownMs: number;
  readonly staleIfErrorMs: number;
  readonly maxEntries: number;
  readonly introspectionTtlMs: number;
  readonly negativeTtlMs: number;
  readonly httpTimeoutMs: number;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`${name} must be a finite number ≥ 0`);
  return value;
}

/** The largest clock-skew leeway accepted, in seconds (five minutes). */
const MAX_CLOCK_TOLERANCE_SEC = 300;

/**
 * RFC 8725 §3.10 / RFC 7519 §4.1.4 allow "a few minutes" of leeway for clock skew; more would
 * quietly extend every token's life, so a larger value is a configuration error.
 */
function tolerance(
  value: number | undefined,
  fail: (option: 'clockToleranceSec', message: string, cause?: unknown) => never,
): number {
  try {
    const seconds = nonNegative('clockToleranceSec', value, 30);
    if (seconds > MAX_CLOCK_TOLERANCE_SEC)
      throw new TypeError(`clockToleranceSec must be at most ${MAX_CLOCK_TOLERANCE_SEC}`);
    return seconds;
  } catch (error) {
    return fail('clockToleranceSec', (error as Error).message);
  }
}

/**
 * Validates one issuer's options and applies the defaults: the only validator of an issuer, so
 * an application hands its configuration here instead of checking it twice. Misuse is an
 * {@link IssuerOptionError} at start-up, never a runtime 4xx.
 */
export function resolveIssuer(o: IssuerOptions): ResolvedIssuer {
  const fail = (option: keyof IssuerOptions, message: string, cause?: unknown): never => {
    throw new IssuerOptionError(
      option,
      `${o.issuer ? `${o.issuer}: ` : ''}${message}`,
      cause === undefined ? undefined : { cause },
    );
  };
  if (typeof o.issuer !== 'string' || o.issuer === '') fail('issuer', 'issuer is required');
  // Issuers are compared exactly (OpenID Connect Discovery 1.0 §4.3, RFC 9068 §4): `//` in the
  // path is a base URL that ended in a slash joined with a path (`https://sso.example.com/` +
  // `/realms/todo-app`), an issuer no provider issues, so every token would be refused.
  if (URL.canParse(o.issuer) && new URL(o.issuer).pathname.includes('//'))
    fail(
      'issuer',
      'the issuer has an empty path segment (//), as when a base URL ending in a slash is joined with a path: remove the extra slash (e.g. from the public URL it was built from)',
    );
  const audiences = typeof o.audience === 'string' ? [o.audience] : [...(o.audience ?? [])];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === ''))
    fail('audience', 'at least one non-empty audience is required');
  const profile = o.profile ?? DEFAULT_PROFILE;
  if (!PROFILE_NAMES.includes(profile)) fail('profile', `unknown profile ${String(profile)}`);
  const verify = o.verify ?? 'jwt';
  if (verify !== 'jwt' && verify !== 'introspect')
    fail('verify', 'verify must be jwt or introspect');
  // RFC 7662 §2.1: the resource server authenticates to the introspection endpoint.
  if (verify === 'introspect' && (!o.clientId || !o.clientSecret))
    fail(
      o.clientId ? 'clientSecret' : 'clientId',
      'introspection (RFC 7662 §2.1) needs the resource server’s clientId and clientSecret',
    );
  const algorithms = [...(o.algorithms ?? DEFAULT_ALGORITHMS)];
  for (const alg of algorithms) {
    // RFC 8725 §3.1/§3.2: never `none`, never an HMAC algorithm with keys from a JWKS.
    if (!SUPPORTED.has(alg)) fail('algorithms', `algorithm ${alg} is not allowed`);
  }
  if (algorithms.length === 0) fail('algorithms', 'algorithms must not be empty');
  if (o.discoveryUrl !== undefined && !URL.canParse(o.discoveryUrl))
    fail('discoveryUrl', `discoveryUrl ${o.discoveryUrl} is not a URL`);
  if (o.dpop !== undefined && !['off', 'allowed', 'required'].includes(o.dpop))
    fail('dpop', 'dpop must be off, allowed or required');
  const requireAtJwtTyp = o.requireAtJwtTyp ?? false;
  if (typeof requireAtJwtTyp !== 'boolean')
    fail('requireAtJwtTyp', 'requireAtJwtTyp must be true or false');
  // RFC 9068 §4 types the JWT a resource server verifies itself; an introspected token's header
  // is never read, so the setting would promise a check nothing makes.
  if (requireAtJwtTyp && verify === 'introspect')
    fail(
      'requireAtJwtTyp',
      'requireAtJwtTyp checks the header of tokens verified locally (verify jwt); with verify introspect no header is read: remove it, or verify jwt',
    );
  const clockToleranceSec = tolerance(o.clockToleranceSec, fail);
  return Object.freeze({
    issuer: o.issuer,
    ...(o.discoveryUrl === undefined ? {} : { discoveryUrl: o.discoveryUrl }),
    audiences: Object.freeze(audiences),
    profile,
    verify,
    ...(o.clientId === undefined ? {} : { clientId: o.clientId }),
    ...(o.clientSecret === undefined ? {} : { clientSecret: o.clientSecret }),
    algorithms: Object.freeze(algorithms),
    clockToleranceSec,
    rolesPath: o.rolesClaim ? splitPath(o.rolesClaim) : PROFILES[profile].rolesPath,
    permissionsPath: o.permissionsClaim
      ? splitPath(o.permissionsClaim)
      : PROFILES[profile].permissionsPath(o.permissionsClient ?? audiences[0] ?? ''),
    adminRole: o.adminRole ?? 'admin',
    attributeClaims: Object.freeze([...(o.attributeClaims ?? [])]),
    ...(o.dpop === undefined ? {} : { dpop: o.dpop }),
    requireAtJwtTyp,
  });
}

/** Resolves the global settings. */
export function resolveSettings(o: AuthenticatorOptions): ResolvedSettings {
  const c = o.cache ?? {};
  return Object.freeze({
    jwksTtlMs: nonNegative('jwksTtlSec', o.jwksTtlSec, 300) * 1000,
    jwksCooldownMs: nonNegative('jwksCooldownSec', o.jwksCooldownSec, 30) * 1000,
    staleIfErrorMs: nonNegative('staleIfErrorSec', o.staleIfErrorSec, 600) * 1000,
    maxEntries: Math.floor(nonNegative('cache.maxEntries', c.maxEntries, 10_000)),
    introspectionTtlMs: nonNegative('cache.introspectionTtlSec', c.introspectionTtlSec, 10) * 1000,
    negativeTtlMs: nonNegative('cache.negativeTtlSec', c.negativeTtlSec, 5) * 1000,
    httpTimeoutMs: nonNegative('httpTimeoutMs', o.httpTimeoutMs, 5000),
  });
}
