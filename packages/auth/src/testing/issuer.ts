import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type CryptoKey, type JWK, SignJWT } from 'jose';
import type { IssuerOptions, ProviderProfile } from '../options.js';
import { headerType, shapeClaims, type TestTokenKind } from './claims.js';
import {
  clientCredentials,
  endpointPaths,
  readBody,
  sendJson,
  type TestEndpoint,
  type TestFault,
} from './endpoints.js';
import { generateSigningKey, type SigningKey, type TestAlgorithm } from './keys.js';
import { verifyOwnToken } from './own-token.js';
import type { TestUser } from './users.js';

/** Options of {@link startTestIssuer}. */
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

function defaultPath(profile: ProviderProfile): string {
  if (profile === 'keycloak') return '/realms/todo-app';
  if (profile === 'authentik') return '/application/o/todo-app/';
  return '';
}

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
  const client = options.client ?? (profile === 'authentik' ? 'todo-cli' : 'todo-ui');
  const clientId = options.clientId ?? 'todo-api';
  const clientSecret = options.clientSecret ?? 'todo-api-secret';
  const lifetime = options.tokenLifetimeSec ?? 300;
  const path = options.path ?? defaultPath(profile);
  const paths = endpointPaths(profile, path);

  let current = await generateSigningKey(algorithm);
  let published: SigningKey[] = [current];
  const extraJwks: JWK[] = [];
  const counters: Record<TestEndpoint, number> = { discovery: 0, jwks: 0, introspection: 0 };
  const revoked = new Set<string>();
  const opaque = new Map<string, Record<string, unknown>>();
  let fault: { kind: TestFault; endpoints: readonly TestEndpoint[]; delayMs: number } | undefined;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = origin + path;

  const metadata = () => ({
    issuer,
    jwks_uri: origin + paths.jwks,
    introspection_endpoint: origin + paths.introspection,
    authorization_endpoint: `${issuer.replace(/\/$/, '')}/protocol/openid-connect/auth`,
    token_endpoint: `${issuer.replace(/\/$/, '')}/protocol/openid-connect/token`,
    id_token_signing_alg_values_supported: [algorithm],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', origin).pathname;
    const endpoint: TestEndpoint | undefined =
      pathname === paths.discovery
        ? 'discovery'
        : pathname === paths.jwks
          ? 'jwks'
          : pathname === paths.introspection
            ? 'introspection'
            : undefined;
    if (endpoint === undefined) return sendJson(res, 404, { error: 'not_found' });
    counters[endpoint] += 1;
    if (fault?.endpoints.includes(endpoint)) {
      if (fault.kind === 'reset') return void req.socket.destroy();
      if (fault.kind === 'down') return sendJson(res, 503, { error: 'temporarily_unavailable' });
      if (fault.kind === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('<html>this is not json');
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, fault?.delayMs ?? 10_000);
        timers.add(t);
      });
    }
    if (endpoint === 'discovery') return sendJson(res, 200, metadata());
    if (endpoint === 'jwks')
      return sendJson(res, 200, { keys: [...published.map((k) => k.publicJwk), ...extraJwks] });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' });
    const form = new URLSearchParams(await readBody(req));
    const creds = clientCredentials(req, form);
    if (creds.id !== clientId || creds.secret !== clientSecret)
      return sendJson(res, 401, { error: 'invalid_client' });
    const token = form.get('token');
    if (!token) return sendJson(res, 400, { error: 'invalid_request' });
    const claims = opaque.get(token) ?? (await verifyOwnToken(token, published, issuer, now()));
    const nowSec = Math.floor(now() / 1000);
    if (
      claims === undefined ||
      revoked.has(token) ||
      (typeof claims.exp === 'number' && claims.exp <= nowSec)
    )
      return sendJson(res, 200, { active: false });
    return sendJson(res, 200, {
      ...claims,
      active: true,
      client_id: claims.azp ?? claims.client_id ?? client,
      token_type: 'Bearer',
      ...(typeof claims.preferred_username === 'string'
        ? { username: claims.preferred_username }
        : {}),
    });
  }

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
      audience: profile === 'authentik' ? ['todo-ui', 'todo-cli'] : audience,
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
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
