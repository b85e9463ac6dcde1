import type { JWK } from 'jose';
import type { ProviderProfile } from '../options.js';
import { PROFILES } from '../profiles/index.js';
import {
  type EndpointPaths,
  endpointPaths,
  type TestEndpoint,
  type TestFault,
} from './endpoints.js';
import { generateSigningKey, type SigningKey, type TestAlgorithm } from './keys.js';
import { verifyOwnToken } from './own-token.js';
import { metadataFor, startIssuerServer } from './server.js';
import { tokenFactory } from './tokens.js';
import type { TestIssuer, TestIssuerOptions } from './types.js';

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

/** A test issuer's options with their defaults applied. */
interface IssuerSettings {
  readonly profile: ProviderProfile;
  readonly algorithm: TestAlgorithm;
  readonly now: () => number;
  readonly audience: string;
  readonly client: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly lifetime: number;
  readonly path: string;
  readonly paths: EndpointPaths;
}

/** What changes while a test issuer runs: its keys, its fault, revocations, opaque tokens. */
interface IssuerState {
  current: SigningKey;
  published: SigningKey[];
  readonly extraJwks: JWK[];
  readonly counters: Record<TestEndpoint, number>;
  readonly revoked: Set<string>;
  readonly opaque: Map<string, Record<string, unknown>>;
  fault: { kind: TestFault; endpoints: readonly TestEndpoint[]; delayMs: number } | undefined;
}

function settingsOf(options: TestIssuerOptions): IssuerSettings {
  const profile = options.profile ?? 'keycloak';
  const path = options.path ?? DEFAULT_PATH[profile];
  return {
    profile,
    algorithm: options.algorithm ?? 'RS256',
    now: options.now ?? Date.now,
    audience: options.audience ?? 'todo-api',
    client: options.client ?? DEFAULT_CLIENT[profile],
    clientId: options.clientId ?? 'todo-api',
    clientSecret: options.clientSecret ?? 'todo-api-secret',
    lifetime: options.tokenLifetimeSec ?? 300,
    path,
    paths: endpointPaths(profile, path),
  };
}

/** RFC 7662 §2.2: an active token's claims (with `client_id`), or undefined when inactive. */
async function introspectionAnswer(
  settings: IssuerSettings,
  state: IssuerState,
  issuer: string,
  token: string,
): Promise<Record<string, unknown> | undefined> {
  const { now } = settings;
  const claims =
    state.opaque.get(token) ?? (await verifyOwnToken(token, state.published, issuer, now()));
  const nowSec = Math.floor(now() / 1000);
  if (claims === undefined || state.revoked.has(token)) return undefined;
  if (typeof claims.exp === 'number' && claims.exp <= nowSec) return undefined;
  return { ...claims, client_id: claims.azp ?? claims.client_id ?? settings.client };
}

/** Key rotation and extra published keys. */
function keyControls(
  state: IssuerState,
  algorithm: TestAlgorithm,
): Pick<TestIssuer, 'publishedKids' | 'rotateKeys' | 'removeKey' | 'publishJwk'> {
  return {
    publishedKids: () => state.published.map((k) => k.kid),
    rotateKeys: async (o = {}) => {
      const next = await generateSigningKey(o.algorithm ?? algorithm);
      state.published = o.retirePrevious ? [next] : [...state.published, next];
      state.current = next;
      return next;
    },
    removeKey: (kid) => {
      state.published = state.published.filter((k) => k.kid !== kid);
    },
    publishJwk: (jwk) => {
      state.extraJwks.push(jwk);
    },
  };
}

/** Fault injection, revocation and request counters. */
function faultControls(
  state: IssuerState,
): Pick<TestIssuer, 'setFault' | 'revoke' | 'resetCounters'> {
  return {
    setFault: (kind, o = {}) => {
      state.fault =
        kind === undefined
          ? undefined
          : {
              kind,
              endpoints: o.endpoints ?? ['discovery', 'jwks', 'introspection'],
              delayMs: o.delayMs ?? 10_000,
            };
    },
    revoke: (token) => {
      state.revoked.add(token);
    },
    resetCounters: () => {
      state.counters.discovery = 0;
      state.counters.jwks = 0;
      state.counters.introspection = 0;
    },
  };
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
  const settings = settingsOf(options);
  const { profile, algorithm, audience, clientId, clientSecret, path, paths } = settings;
  const current = await generateSigningKey(algorithm);
  const state: IssuerState = {
    current,
    published: [current],
    extraJwks: [],
    counters: { discovery: 0, jwks: 0, introspection: 0 },
    revoked: new Set(),
    opaque: new Map(),
    fault: undefined,
  };
  const server = await startIssuerServer({
    paths,
    counters: state.counters,
    fault: () => state.fault,
    jwks: () => ({ keys: [...state.published.map((k) => k.publicJwk), ...state.extraJwks] }),
    metadata: (origin) => metadataFor(origin + path, origin, paths, algorithm),
    checkClient: (id, secret) => id === clientId && secret === clientSecret,
    introspect: (token) => introspectionAnswer(settings, state, issuer, token),
  });
  const { origin } = server;
  const issuer = origin + path;

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
    counters: state.counters,
    get currentKid() {
      return state.current.kid;
    },
    issuerOptions: (overrides = {}) => ({
      issuer,
      audience: PROFILES[profile].audienceIsClientId ? ['todo-ui', 'todo-cli'] : audience,
      profile,
      clientId,
      clientSecret,
      ...overrides,
    }),
    ...tokenFactory({
      ...settings,
      issuer,
      currentKey: () => state.current,
      storeOpaque: (token, claims) => {
        state.opaque.set(token, claims);
      },
    }),
    ...keyControls(state, algorithm),
    ...faultControls(state),
    close: () => server.close(),
  };
}
