/** The single resource every access token is minted for; its audience comes from the realm. */
export const DEFAULT_RESOURCE = 'urn:todo-sso:access-token';
/** Scopes the dev IdP grants, Keycloak's default client scopes for OIDC clients. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Keycloak's default client scopes, granted whether or not they are requested. */
export const DEFAULT_SCOPES = ['profile', 'email'];
