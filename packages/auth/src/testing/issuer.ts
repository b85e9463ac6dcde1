import { randomBytes, randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, SignJWT } from 'jose';
import type { ProviderProfile } from '../options.js';
import { PROFILES } from '../profiles/index.js';
import { headerType, shapeClaims, type TestTokenKind } from './claims.js';
import { endpointPaths, type TestEndpoint, type TestFault } from './endpoints.js';
import { generateSigningKey, type SigningKey } from './keys.js';
import { verifyOwnToken } from './own-token.js';
import { metadataFor, startIssuerServer } from './server.js';
import type { TestIssuer, TestIssuerOptions, TestTokenOptions } from './types.js';
import type { TestUser } from './users.js';

/** Where each profile's test issuer lives: the dev realm's paths. */
const DEFAULT_PATH: Readonly<Record<ProviderProfile, string>> = {
  keycloak: '/realms/todo-app',
  authentik: '/application/o/todo-app/',
  generic: '',
};

/** The client tokens are issued to by default: Authentik's audience is the client itself. */
const DEFAULT_CLIENT: Readonly<Record<ProviderProfile, string>> = {
  keycloak: 'todo-ui',
  authentik: 'todo-cli',
  generic: 'todo-ui',
};

function applyOverrides(
  target: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
) {
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete target[k];
    else target[k] = v;
  }
  return target;
}

/**
 * Starts a real OIDC issuer on `127.0.0.1:0`: discovery, JWKS, RFC 7662 introspection with
 * client authentication, key rotation, fault injection and a token factory for Keycloak-,
 * Authentik- or generic-shaped tokens.
 *
 * @example
 * ```ts
 * const idp = await startTestIssuer({ profile: 'keycloak' });
 * const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
 * const token = await idp.accessToken(alice);
 * await auth.authenticate(token); // → principal with roles ['user']
 * await idp.close();
 * ```
 */
export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const profile = options.profile ?? 'keycloak';
  const algorithm = options.algorithm ?? 'RS256';
  const now = options.now ?? Date.now;
  const audience = options.audience ?? 'todo-api';
  const client = options.client ?? DEFAULT_CLIENT[profile];
  const clientId = options.clientId ?? 'todo-api';
  const clientSecret = options.clientSecret ?? 'todo-api-secret';
  const lifetime = options.tokenLifetimeSec ?? 300;
  const path = options.path ?? DEFAULT_PATH[profile];
  const paths = endpointPaths(profile, path);

  let current = await generateSigningKey(algorithm);
  let published: SigningKey[] = [current];
  const extraJwks: JWK[] = [];
  const counters: Record<TestEndpoint, number> = { discovery: 0, jwks: 0, introspection: 0 };
  const revoked = new Set<string>();
  const opaque = new Map<string, Record<string, unknown>>();
  let fault: { kind: TestFault; endpoints: readonly TestEndpoint[]; delayMs: number } | undefined;
  const server = await startIssuerServer({
    paths,
    counters,
    fault: () => fault,
    jwks: () => ({ keys: [...published.map((k) => k.publicJwk), ...extraJwks] }),
    metadata: (origin) => metadataFor(origin + path, origin, paths, algorithm),
    checkClient: (id, secret) => id === clientId && secret === clientSecret,
    introspect: async (token) => {
      const claims = opaque.get(token) ?? (await verifyOwnToken(token, published, issuer, now()));
      const nowSec = Math.floor(now() / 1000);
      if (claims === undefined || revoked.has(token)) return undefined;
      if (typeof claims.exp === 'number' && claims.exp <= nowSec) return undefined;
      return { ...claims, client_id: claims.azp ?? claims.client_id ?? client };
    },
  });
  const { origin } = server;
  const issuer = origin + path;

  async function sign(
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
    key = current,
  ) {
    const protectedHeader = applyOverrides({ alg: key.alg, kid: key.kid, typ: 'JWT' }, header);
    return new SignJWT(claims)
      .setProtectedHeader(protectedHeader as { alg: string })
      .sign(key.privateKey as CryptoKey);
  }

  async function mint(
    kind: TestTokenKind,
    user: Partial<TestUser> | undefined,
    o: TestTokenOptions = {},
  ) {
    const claims = shapeClaims({
      profile,
      kind,
      issuer,
      audience,
      client: o.client ?? client,
      ...(user === undefined ? {} : { user }),
      nowSec: o.issuedAt ?? Math.floor(now() / 1000),
      expiresInSec:
        o.expiresInSec ?? (kind === 'refresh' ? 1800 : kind === 'logout' ? 120 : lifetime),
      sessionId: o.sessionId ?? randomUUID(),
    });
    applyOverrides(claims, o.claims);
    return sign(claims, { typ: headerType(profile, kind), ...o.header }, o.key);
  }

  return {
    issuer,
    origin,
    profile,
    algorithm,
    audience,
    clientId,
    clientSecret,
    discoveryUrl: origin + paths.discovery,
    jwksUri: origin + paths.jwks,
    introspectionEndpoint: origin + paths.introspection,
    counters,
    get currentKid() {
      return current.kid;
    },
    publishedKids: () => published.map((k) => k.kid),
    issuerOptions: (overrides = {}) => ({
      issuer,
      audience: PROFILES[profile].audienceIsClientId ? ['todo-ui', 'todo-cli'] : audience,
      profile,
      clientId,
      clientSecret,
      ...overrides,
    }),
    accessToken: (user, o) => mint('access', user, o),
    idToken: (user, o) => mint('id', user, o),
    refreshToken: (user, o) => mint('refresh', user, o),
    logoutToken: (target, o = {}) =>
      mint('logout', 'sub' in target ? { sub: target.sub } : {}, {
        ...o,
        ...(target.sid ? { sessionId: target.sid } : {}),
      }),
    opaqueToken: async (user, o = {}) => {
      const token = randomBytes(24).toString('base64url');
      const claims = shapeClaims({
        profile,
        kind: 'access',
        issuer,
        audience,
        client: o.client ?? client,
        ...(user === undefined ? {} : { user }),
        nowSec: o.issuedAt ?? Math.floor(now() / 1000),
        expiresInSec: o.expiresInSec ?? lifetime,
        sessionId: o.sessionId ?? randomUUID(),
      });
      opaque.set(token, applyOverrides(claims, o.claims));
      return token;
    },
    sign: (claims, header, key) => sign(claims, header, key),
    rotateKeys: async (o = {}) => {
      const next = await generateSigningKey(o.algorithm ?? algorithm);
      published = o.retirePrevious ? [next] : [...published, next];
      current = next;
      return next;
    },
    removeKey: (kid) => {
      published = published.filter((k) => k.kid !== kid);
    },
    publishJwk: (jwk) => {
      extraJwks.push(jwk);
    },
    setFault: (kind, o = {}) => {
      fault =
        kind === undefined
          ? undefined
          : {
              kind,
              endpoints: o.endpoints ?? ['discovery', 'jwks', 'introspection'],
              delayMs: o.delayMs ?? 10_000,
            };
    },
    revoke: (token) => {
      revoked.add(token);
    },
    resetCounters: () => {
      counters.discovery = 0;
      counters.jwks = 0;
      counters.introspection = 0;
    },
    close: () => server.close(),
  };
}
