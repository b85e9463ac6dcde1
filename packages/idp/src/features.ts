import { type Configuration, errors } from 'oidc-provider';
import { DEFAULT_RESOURCE } from './constants.js';
import type { Layout } from './layout.js';
import { devicePages } from './pages/device.js';
import { loggedOutPage, logoutPage } from './pages/templates.js';
import type { IdpProfile } from './profiles/profile.js';
import { hintMatchesSession } from './sessions/logout-hint.js';
import type { ResourceServerInfo } from './tokens/resource-server.js';

/** The oidc-provider features the dev IdP turns on, and how. */
export function providerFeatures(
  profile: IdpProfile,
  layout: Layout,
  resourceServerInfo: ResourceServerInfo,
): NonNullable<Configuration['features']> {
  return {
    // OpenID Connect Core §5.5: `claims` with an essential `acr` asks for a level, too.
    claimsParameter: {
      enabled: true,
      // OpenID Connect Core §5.5: `claims` may ask for userinfo claims too. oidc-provider refuses
      // them because its own userinfo endpoint is off (the dev IdP serves userinfo itself, see
      // below). This hook runs just before that check, on the check's own parsed copy of the
      // parameter: taking `userinfo` out of the copy lets the request through, the parameter
      // itself unchanged. The dev IdP's userinfo already answers every claim such a request can
      // name: Keycloak's default scopes (`profile`, `email`) are granted to every sign-in.
      assertClaimsParameter(_ctx, claims) {
        delete (claims as { userinfo?: unknown }).userinfo;
      },
    },
    devInteractions: { enabled: false },
    // RFC 7591, anonymous, screened by the realm's registration policy (registration/handler.ts).
    registration: { enabled: layout.routes.registration !== undefined },
    introspection: { enabled: true },
    revocation: { enabled: true },
    deviceFlow: { enabled: true, ...devicePages },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = logoutPage(form, hintMatchesSession(ctx));
      },
      postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = loggedOutPage();
      },
    },
    backchannelLogout: { enabled: true },
    clientCredentials: { enabled: true },
    // RFC 9449 §5, where the imitated server speaks it (its profile says).
    dPoP: { enabled: profile.dpop },
    encryption: { enabled: true },
    // Userinfo is served by the dev IdP itself: Keycloak answers it for audience-bound access
    // tokens, which oidc-provider's own endpoint refuses.
    userinfo: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => DEFAULT_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource, client) => {
        // RFC 8707 §2: an absolute URI without a fragment; the dev IdP takes http(s) ones.
        if (resource !== DEFAULT_RESOURCE && !/^https?:\/\//.test(resource)) {
          throw new errors.InvalidTarget('resource must be an absolute http(s) URI');
        }
        return resourceServerInfo(client.clientId, resource);
      },
    },
  };
}
