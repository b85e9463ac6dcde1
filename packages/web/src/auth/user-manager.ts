import {
  type OidcClient,
  type User,
  UserManager,
  type UserManagerSettings,
  WebStorageStateStore,
} from 'oidc-client-ts';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { checkIdToken, type IdTokenExpectations, readIdTokenClaims } from './id-token-claims.js';
import { SharedDPoPKeyStore } from './unfinished-sign-in.js';

/** Where the identity provider sends the browser back to. */
export const CALLBACK_PATH = '/callback';
export const SIGNED_OUT_PATH = '/signed-out';
/** Signed out in this tab only: the identity provider's session could not be ended. */
export const SIGNED_OUT_LOCALLY_PATH = `${SIGNED_OUT_PATH}?idp=unreachable`;

/** What the app carries through a sign-in round trip (OAuth `state`, RFC 6749 §4.1.1). */
export interface SignInState {
  returnTo: string;
  /** A step-up sign-in asked for by the API (RFC 9470), see `StepUpBoundary`. */
  stepUp?: boolean;
}

/**
 * The oidc-client-ts `UserManager` for `config`: Authorization Code flow with PKCE, whose
 * `code_challenge_method` is always S256 (RFC 7636 §4.2; `disablePKCE` stays false), a `nonce`
 * per sign-in, tokens in
 * `sessionStorage` (per tab, gone with it; never `localStorage`), no iframe-based session
 * monitoring (third-party cookies are blocked in current browsers), renewal scheduled by
 * `useSilentRenewal` with the refresh token, DPoP-bound tokens (see `dpopSettings`), and every
 * ID token checked before it is used (see `CheckedUserManager`).
 */
export function createUserManager(config: RuntimeConfig, origin = window.location.origin) {
  const expected = { issuer: config.issuer, clientId: config.clientId };
  const userManager = new CheckedUserManager(expected, {
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    post_logout_redirect_uri: `${origin}${SIGNED_OUT_PATH}`,
    response_type: 'code',
    scope: 'openid profile email',
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
    // oidc-client-ts drops acr, amr and auth_time from the profile by default; keep them, so a
    // step-up that did not reach the level the API asks for can say which one it reached.
    filterProtocolClaims: ['nbf', 'jti', 'nonce', 'azp', 'at_hash'],
    // Keycloak rotates refresh tokens; revoking on sign-out is the end-session endpoint's job.
    revokeTokensOnSignout: false,
    ...dpopSettings(),
  });
  // OpenID Connect Core §3.1.2.1: a fresh `nonce` per sign-in, which oidc-client-ts keeps with
  // the state and compares with the ID token's (§3.1.3.7 step 11), next to PKCE. Every sign-in
  // of the app (first, automatic, step-up) goes through this method.
  const signinRedirect = userManager.signinRedirect.bind(userManager);
  userManager.signinRedirect = (args = {}) => signinRedirect({ nonce: randomNonce(), ...args });
  return userManager;
}

type Expected = Pick<IdTokenExpectations, 'issuer' | 'clientId'>;

/**
 * A `UserManager` that checks the ID token of every token response (`checkIdToken`: `iss`,
 * `aud`, `azp`, `exp`, `iat`, `nonce`; OpenID Connect Core §3.1.3.7 and, for a refresh, §12.2)
 * before oidc-client-ts stores the user: a refused sign-in or renewal throws, stores nothing,
 * and keeps whatever session the tab already had.
 */
class CheckedUserManager extends UserManager {
  constructor(expected: Expected, settings: UserManagerSettings) {
    super(settings);
    checkTokenResponses(this._client, expected);
  }

  /**
   * An authorization response whose `state` matches no sign-in under way in this tab is one
   * already used (Back to it, a reload, a copied address): its state went with the first
   * redemption and its code is single-use (RFC 6749 §4.1.2). In a tab that has a session, that
   * session stands: nothing is redeemed, no error is shown, and this resolves to `undefined`
   * (`Root` then leaves the callback address). In a tab without one it is refused as before.
   */
  override async signinCallback(url = window.location.href): Promise<User | undefined> {
    const state = new URL(url).searchParams.get('state');
    if (state !== null && !(await this.settings.stateStore.get(state)) && (await this.getUser())) {
      return undefined;
    }
    return super.signinCallback(url);
  }
}

/** Wraps the two ways `client` obtains tokens, code redemption and refresh. */
function checkTokenResponses(client: OidcClient, expected: Expected): void {
  const processSigninResponse = client.processSigninResponse.bind(client);
  client.processSigninResponse = async (url, extraHeaders, removeState) => {
    // The nonce sent with this sign-in, kept with its state (read before the state is used up).
    const sent = await client.readSigninResponseState(url, false).then(
      ({ state }) => state.nonce,
      () => undefined,
    );
    const response = await processSigninResponse(url, extraHeaders, removeState);
    // Always: the app asks for `openid`, so a response without an ID token is refused too.
    checkIdToken(response.id_token, { ...expected, nonce: sent });
    return response;
  };
  const useRefreshToken = client.useRefreshToken.bind(client);
  client.useRefreshToken = async (args) => {
    const response = await useRefreshToken(args);
    // An ID token in a refresh response is optional (§12.2); without one, the session's stays.
    if (response.id_token !== undefined && response.id_token !== args.state.id_token) {
      const previous = readIdTokenClaims(args.state.id_token);
      checkIdToken(response.id_token, { ...expected, nonce: undefined, previous });
    }
    return response;
  };
}

/** 128 random bits, base64url (a `nonce`, a sign-out `state`). */
export function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * DPoP (RFC 9449): every token request (code redemption, refresh) carries a proof, so the tokens
 * are bound to a key pair that oidc-client-ts generates non-extractable (WebCrypto,
 * `extractable: false`) and keeps in IndexedDB, one per client id for the browser profile, so
 * every tab's session signs with it. It is deleted once no tab's session uses it: after
 * sign-out, a refused refresh or a sign-in that ends without a session (`SharedDPoPKeyStore`,
 * `forgetUnfinishedSignIn`). A browser without IndexedDB
 * (none the app supports) gets bearer tokens, which an identity provider that requires DPoP for
 * this client refuses at sign-in.
 */
function dpopSettings() {
  return typeof indexedDB === 'undefined' ? {} : { dpop: { store: new SharedDPoPKeyStore() } };
}

/**
 * Backslashes and control characters: the WHATWG URL parser reads `\` as `/` in http(s) URLs
 * and drops tabs and newlines, so `/\evil.example` and `/\t/evil.example` both become
 * `//evil.example`, a network-path reference to another host (RFC 3986 §4.2).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_IN_PATH = /[\\\u0000-\u001f\u007f]/;

/** A base with an origin of its own, to check that a path cannot leave it. */
const PROBE_ORIGIN = 'http://return-to.invalid';

/**
 * Where to go after sign-in: a path inside this app, never an absolute URL (open redirect).
 * Dot segments are resolved first (RFC 3986 §5.2.4): `/..//evil.example` would otherwise land
 * on the path `//evil.example`, which any later relative navigation reads as another host.
 */
export function safeReturnTo(state: unknown): string {
  const returnTo = (state as Partial<SignInState> | undefined)?.returnTo;
  if (
    typeof returnTo !== 'string' ||
    !returnTo.startsWith('/') ||
    returnTo.startsWith('//') ||
    UNSAFE_IN_PATH.test(returnTo)
  ) {
    return '/';
  }
  const url = new URL(returnTo, PROBE_ORIGIN);
  if (url.origin !== PROBE_ORIGIN || url.pathname.startsWith('//')) return '/';
  if (url.pathname.startsWith(CALLBACK_PATH) || url.pathname.startsWith(SIGNED_OUT_PATH)) {
    return '/';
  }
  return url.pathname + url.search + url.hash;
}
