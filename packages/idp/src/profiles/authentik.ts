import { providerProfile } from '@todo-sso/auth';
import { type Layout, providerRoutes } from '../layout.js';
import type { RealmUser } from '../realm/types.js';
import type { IdpProfile } from './profile.js';

const definition = providerProfile('authentik');

/**
 * Authentik: issuer and JWKS per application (`/application/o/<slug>/`), the other endpoints
 * shared by every application under `/application/o/` (Authentik's OAuth2 provider layout).
 */
export function authentikLayout(slug: string): Layout {
  const issuerPath = `/application/o/${slug}/`;
  const mountPath = '/application/o';
  return {
    issuerPath,
    mountPath,
    routes: {
      ...providerRoutes(definition, issuerPath, mountPath),
      code_verification: `/${slug}/device-verify/`,
    },
    loginPath: `/${slug}/flow/`,
    aliases: {
      [`/application/o/${slug}/.well-known/openid-configuration`]:
        '/.well-known/openid-configuration',
    },
  };
}

/** Authentik's fixed `acr` (it has no levels of authentication). */
export const AUTHENTIK_ACR = 'goauthentik.io/providers/oauth2/default';

/**
 * Authentik's `groups` claim: realm roles and client roles in one flat list,
 * realm roles first.
 */
export function authentikGroups(user: RealmUser): string[] {
  const clientRoles = Object.values(user.clientRoles).flat();
  return [...new Set([...user.realmRoles.sort(), ...clientRoles.sort()])];
}

/** Authentik's `amr`: `pwd`, plus `mfa` once a second factor was used. */
function authentikAmr(amr: unknown): string[] | undefined {
  if (!Array.isArray(amr) || !amr.includes('pwd')) return undefined;
  return amr.includes('otp') ? ['pwd', 'mfa'] : ['pwd'];
}

interface IdTokenModel {
  available: Record<string, unknown>;
  extra: Record<string, unknown>;
  issue(options?: { use?: string }): Promise<string>;
}

/** The Authentik profile's ID tokens say what its access tokens say: fixed `acr`, Authentik's `amr`. */
export function authentikIdTokenClaims(provider: { IdToken: { prototype: unknown } }): void {
  const proto = provider.IdToken.prototype as IdTokenModel;
  const issue = proto.issue;
  proto.issue = async function issueAsAuthentik(this: IdTokenModel, options) {
    for (const claims of [this.available, this.extra]) {
      if (claims.acr !== undefined) claims.acr = AUTHENTIK_ACR;
      if (claims.amr !== undefined) claims.amr = authentikAmr(claims.amr);
    }
    return issue.call(this, options);
  };
}

/**
 * Authentik: roles and permissions in one `groups` claim (in access tokens and UserInfo), no
 * `typ` claim, no `client_id` in a service account's token, no DPoP (the `DPoP` header is
 * ignored and bearer tokens issued), a fixed `acr`.
 */
export const authentik: IdpProfile = Object.freeze<IdpProfile>({
  name: 'authentik',
  definition,
  defaultPort: 9000,
  layout: authentikLayout,
  dpop: false,
  // authentik providers/oauth2/views/token.py `create_code_response` sets the code's nonce on the
  // access token's IDToken, and `IDToken.to_access_token` signs all of it (models.py, the
  // `AccessToken.id_token` setter): the access token carries `nonce`; a refresh grant's does not.
  nonceInAccessTokens: true,
  // introspection.py answers the token's IDToken.to_dict() (no azp, no uid) plus
  // `client_id = self.params.provider.client_id`: the provider that authenticated the call.
  introspectionNamesCaller: true,
  clientIdInServiceAccountTokens: false,
  userAccessTokenClaims: ({ base, user, client, sid }) => ({
    ...base,
    azp: client?.clientId,
    sid,
    groups: authentikGroups(user),
  }),
  // Authentik's access tokens all name their client in `azp` (`IDToken.to_access_token`), a
  // service account's too (RFC 9068 §2.2 asks for the client to be named).
  serviceAccountClaims: (clientId) => ({ azp: clientId }),
  // Its one fixed `acr`, whatever level a sign-in reached, as Authentik's discovery lists it.
  acrValuesSupported: () => [AUTHENTIK_ACR],
  // Its fixed `acr`, `auth_time`, and `amr` as Authentik writes it: `pwd`, plus `mfa` after a
  // second factor.
  authenticationClaims: ({ amr, authTime }) => {
    const methods = authentikAmr(amr ?? []);
    return { acr: AUTHENTIK_ACR, auth_time: authTime, ...(methods ? { amr: methods } : {}) };
  },
  // authentik providers/oauth2/views/introspection.py (2025.x): `authenticate_provider` returning
  // no provider (a wrong or missing secret, an unknown client id, a public client without the
  // provider's secret) raises TokenIntrospectionError, answered 200 `{"active": false}` like an
  // unknown token. A wrong OIDC_CLIENT_SECRET thus looks like every token inactive.
  introspectionRefusal: () => ({ status: 200, body: { active: false } }),
  userinfoClaims: (user) => ({ groups: authentikGroups(user) }),
  finishAccessToken: () => {},
  extendProvider: (provider) => authentikIdTokenClaims(provider),
  serve: () => false,
});
