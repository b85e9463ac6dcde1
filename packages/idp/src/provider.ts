import { randomBytes } from 'node:crypto';
import Provider, {
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { MemoryStore } from './adapter.js';
import { OIDC_SCOPES } from './constants.js';
import { providerFeatures } from './features.js';
import { registerPasswordGrant } from './grants/password.js';
import { originAllowed } from './http/cors.js';
import { applyDefaultScopes } from './keycloak/compat.js';
import { keycloakRefreshRotation } from './keycloak/refresh-reuse.js';
import type { Layout } from './layout.js';
import type { OtpVerifier } from './otp/verifier.js';
import { escapeHtml } from './pages/html.js';
import type { IdpProfile } from './profiles/profile.js';
import type { Realm, RealmClient } from './realm/types.js';
import { reportRequestedAcr, stepUpPolicy } from './sessions/acr.js';
import type { LoginGuard } from './sessions/context.js';
import { tokenLifetimes } from './sessions/lifespan.js';
import { DPOP_SIGNING_ALGS } from './tokens/dpop.js';
import { tokenSettings } from './tokens/formats.js';
import { alwaysIncludeSessionClaims } from './tokens/id-token.js';
import type { IdpKeys } from './tokens/keys.js';
import { resourceServers } from './tokens/resource-server.js';

export interface ProviderSetup {
  issuer: string;
  /** The server imitated: its token shapes and quirks. */
  profile: IdpProfile;
  layout: Layout;
  realm: Realm;
  keys: IdpKeys;
  store: MemoryStore;
  accessTokenLifespan: number;
  /** Checks OTP codes (the password grant's `otp` parameter). */
  otp: OtpVerifier;
  guard: LoginGuard;
}

type JwkList = NonNullable<Configuration['jwks']>['keys'];
/** Seconds a sign-in may take, its steps included. */
export const INTERACTION_TTL = 600;
const GRANT_DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Realm client → oidc-provider client metadata. `dpop`: whether the profile speaks DPoP at all
 * (Keycloak's "Require DPoP bound tokens" becomes `dpop_bound_access_tokens`, RFC 9449 §5.2).
 */
export function clientMetadata(client: RealmClient, dpop = true): ClientMetadata {
  const grantTypes: string[] = [];
  if (client.standardFlow) grantTypes.push('authorization_code');
  if (client.deviceGrant) grantTypes.push(GRANT_DEVICE);
  // Keycloak issues refresh tokens to every user-facing flow (not only with offline_access).
  if (grantTypes.length > 0 || client.directAccessGrants) grantTypes.push('refresh_token');
  if (client.serviceAccount) grantTypes.push('client_credentials');
  // The password grant decides itself, to answer `unauthorized_client` as Keycloak does.
  grantTypes.push('password');
  return {
    client_id: client.clientId,
    ...(client.publicClient
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: client.secret, token_endpoint_auth_method: 'client_secret_basic' }),
    grant_types: grantTypes,
    response_types: client.standardFlow ? ['code'] : [],
    redirect_uris: client.standardFlow ? client.redirectUris : [],
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    ...(client.backchannelLogoutUrl
      ? {
          backchannel_logout_uri: client.backchannelLogoutUrl,
          backchannel_logout_session_required: client.backchannelLogoutSessionRequired,
        }
      : {}),
    scope: OIDC_SCOPES.join(' '),
    ...(dpop ? { dpop_bound_access_tokens: client.dpopBound } : {}),
  };
}

/** Keycloak redirect URI patterns: exact, or a prefix ending in `*`. */
export function uriMatches(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : p === value));
}

/** A loopback IP literal redirect URI registered without a port: `http://127.0.0.1/…`, `http://[::1]/…`. */
const LOOPBACK_WITHOUT_PORT = /^http:\/\/(?:127\.0\.0\.1|\[::1\])(?:\/|$)/;
/** The port of a loopback IP literal redirect URI, up to the path: `http://127.0.0.1:53710/cb`. */
const LOOPBACK_PORT = /^(http:\/\/(?:127\.0\.0\.1|\[::1\])):\d{1,5}(?=\/|$)/;

/**
 * Redirect URIs as Keycloak matches them: the patterns above and, RFC 8252 §7.3, any port for a
 * loopback IP literal registered without one (a native app listens on an ephemeral port). Only the
 * port is set aside; the rest is compared as registered, and `localhost` is not a loopback IP
 * literal (§8.3).
 */
export function redirectUriMatches(patterns: readonly string[], value: string): boolean {
  if (uriMatches(patterns, value)) return true;
  const portless = value.replace(LOOPBACK_PORT, '$1');
  return (
    portless !== value &&
    uriMatches(
      patterns.filter((p) => LOOPBACK_WITHOUT_PORT.test(p)),
      portless,
    )
  );
}

/** Keycloak accepts registered redirect URIs ending in `*` as prefixes. */
function acceptUriPatterns(provider: Provider): void {
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value: string) {
    return redirectUriMatches(this.redirectUris ?? [], value);
  };
  provider.Client.prototype.postLogoutRedirectUriAllowed = function allowed(value: string) {
    return uriMatches(this.postLogoutRedirectUris ?? [], value);
  };
}

/**
 * oidc-provider refuses outgoing requests to loopback and private addresses (SSRF guard). The dev
 * IdP's only outgoing requests are back-channel logouts to URLs from the realm file (trusted
 * configuration; registered clients may not name any URL the IdP would fetch, see
 * registration/handler.ts), and in development those are localhost by design, so the guard's
 * dispatcher is dropped. The 2.5 s timeout stays.
 */
const fetchWithoutSsrfGuard: Configuration['fetch'] = (url, options) => {
  const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
  return globalThis.fetch(url, rest);
};

const renderError: Configuration['renderError'] = (ctx, out) => {
  ctx.type = 'html';
  ctx.body = `<!doctype html><meta charset="utf-8"><title>Error</title><h1>${escapeHtml(
    String(out.error),
  )}</h1><p>${escapeHtml(String(out.error_description ?? ''))}</p>`;
};

const loadExistingGrant: Configuration['loadExistingGrant'] = async (ctx) => {
  const grantId =
    ctx.oidc.result?.consent?.grantId ??
    ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId as string);
  return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
};

/**
 * Builds the oidc-provider instance for a realm and profile: one configuration object, its parts
 * in tokens/ (claims, formats, lifetimes), features.ts, sessions/, grants/ and keycloak/.
 */
export function buildProvider(setup: ProviderSetup): Provider {
  const { realm, layout, keys, profile } = setup;
  const resourceServerInfo = resourceServers(realm, profile, setup.accessTokenLifespan);
  let rotation: (ctx: KoaContextWithOIDC) => Promise<boolean>;

  const configuration: Configuration = {
    adapter: setup.store.adapterFor(),
    clients: [...realm.clients.values()].map((c) => clientMetadata(c, profile.dpop)),
    jwks: { keys: [...keys.signing, keys.encryption] as unknown as JwkList },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: layout.routes,
    scopes: OIDC_SCOPES,
    // The acr values ID tokens can carry, listed in discovery (Discovery 1.0 §3): the levels the
    // realm names (`acr.loa.map`), or the profile's fixed value.
    acrValues: [...profile.acrValuesSupported(Object.keys(realm.acrLoaMap))],
    ...tokenSettings(realm, profile),
    features: providerFeatures(profile, layout, resourceServerInfo),
    // Only what a realm client can get: the code flow (the realm refuses implicit and hybrid
    // flows) and Keycloak's client authentication methods (body credentials are accepted too,
    // see normalizeClientAuth).
    responseTypes: ['code'],
    enabledJWA: {
      dPoPSigningAlgValues: DPOP_SIGNING_ALGS,
      // Only what some client can use (OpenID Connect Discovery 1.0 §3): a registered client
      // encrypts to a key of its own `jwks`. Key wrapping with the client secret (`dir`,
      // `A128KW`, `A256KW`) is left out, since a client that can ask for an encrypted ID token
      // (a registered one) is public and has no secret.
      idTokenEncryptionAlgValues: ['ECDH-ES', 'RSA-OAEP', 'RSA-OAEP-256'],
    },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    pkce: {
      // Realm clients as configured; registered clients always (they are public, RFC 9700 §2.1.1).
      required: (_ctx, client) =>
        realm.clients.get(client.clientId)?.pkceMethod !== undefined ||
        !realm.clients.has(client.clientId),
    },
    clientBasedCORS(_ctx, origin, client) {
      const realmClient = realm.clients.get(client.clientId);
      return realmClient ? originAllowed(realmClient, origin) : false;
    },
    fetch: fetchWithoutSsrfGuard,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Tokens of a browser session end with it (Keycloak ends them on logout and expiry).
    expiresWithSession: async () => true,
    rotateRefreshToken: (ctx) => rotation(ctx),
    ttl: { ...tokenLifetimes(realm, setup.accessTokenLifespan), Interaction: INTERACTION_TTL },
    interactions: {
      policy: stepUpPolicy(realm),
      url: (_ctx, interaction) => `${layout.mountPath}${layout.loginPath}${interaction.uid}`,
    },
    loadExistingGrant,
    renderError,
  };

  const provider = new Provider(setup.issuer, configuration);
  // The dispatcher sets X-Forwarded-Host/-Proto from the configured public URL, overwriting what
  // the client sent, so every URL oidc-provider writes starts with that URL (see dispatch.ts).
  provider.proxy = true;
  rotation = keycloakRefreshRotation(provider, realm);
  alwaysIncludeSessionClaims(provider);
  reportRequestedAcr(provider, realm);
  acceptUriPatterns(provider);
  applyDefaultScopes(provider, layout.routes.authorization);
  profile.extendProvider(provider, setup.issuer);
  registerPasswordGrant(provider, realm, resourceServerInfo, setup);
  return provider;
}
