/**
 * `@todo-sso/auth`: an OAuth 2.0 / OpenID Connect resource-server core. Verifies access tokens
 * from one or more trusted issuers (JWKS or RFC 7662 introspection), maps them to principals
 * per provider profile (Keycloak, Authentik, generic), decides every authorization with one pure function (`decide`) and maps
 * every failure to RFC 6750 / RFC 9457 responses in one place.
 *
 * @packageDocumentation
 */

export type { AuthenticateOptions, Authenticator } from './authenticator.js';
export { createAuthenticator } from './authenticator.js';
export type { AcrLevelSource, IssuerAcrLevels } from './authorization/acr-levels.js';
export type { RequirementVocabulary } from './authorization/check.js';
export { requirementProblems } from './authorization/check.js';
export type { Question } from './authorization/decide.js';
export { decide, decideAll } from './authorization/decide.js';
export type {
  Allowed,
  Challenge,
  Decision,
  DecisionReason,
  Denied,
} from './authorization/decision.js';
export { DENIAL_REASONS } from './authorization/decision.js';
export { authorize, denialError } from './authorization/denial.js';
export type { DecisionContext, Requirement, Resource } from './authorization/requirement.js';
export {
  DEFAULT_ALGORITHMS,
  DEFAULT_PROFILE,
  IssuerOptionError,
  type ResolvedIssuer,
  resolveIssuer,
} from './config.js';
export { shownUrl } from './diagnose/shown-url.js';
export { normaliseHtu } from './dpop/htu.js';
export type { DpopNonceOptions, DpopNonceSource } from './dpop/nonce.js';
export { createDpopNonces } from './dpop/nonce.js';
export type { DpopReplayCache } from './dpop/replay.js';
export { MemoryDpopReplayCache } from './dpop/replay.js';
export type { DpopMode, ProofRequest } from './dpop/sender.js';
export { jwkThumbprint } from './dpop/thumbprint.js';
export type { DpopProofInput, DpopVerifier, DpopVerifierOptions } from './dpop/verify-proof.js';
export { createDpopVerifier, DEFAULT_DPOP_ALGORITHMS } from './dpop/verify-proof.js';
export type { AuthErrorCode, AuthErrorOptions } from './errors.js';
export { AUTH_ERROR_CODES, AuthError, isAuthError } from './errors.js';
export { clientBasicAuth } from './http/client-basic-auth.js';
export type { AuthErrorResponseOptions, ProblemDetails } from './http/error-response.js';
export { authErrorResponse, credentialScheme } from './http/error-response.js';
export { fetchBase as discoveryBase } from './jwks/discovery.js';
export type { SignatureVerifier } from './jwks/verify-signature.js';
export { blockedPort, connectionNeverMade, NOT_SENT_CODES } from './net/index.js';
export type {
  AuthEvent,
  AuthenticatorOptions,
  IssuerOptions,
  IssuerStatus,
  JwksFetchReason,
  ProviderProfile,
  RevocationChecker,
} from './options.js';
export { canAccessAttribute, scopeToAttribute } from './policy/attribute-scope.js';
export type {
  PermissionOf,
  PermissionStatements,
  PermissionTable,
} from './policy/permissions.js';
export {
  can,
  definePermissions,
  hasRole,
  missingPermissions,
  requirePermission,
  requireRole,
} from './policy/permissions.js';
export type { LogoutTokenClaims, Principal } from './principal.js';
export { attributeValues } from './principal.js';
export type { EndpointLayout, ProfileDefinition } from './profiles/index.js';
export { PROFILE_NAMES, PROFILES, providerProfile } from './profiles/index.js';
