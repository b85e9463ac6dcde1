/**
 * `@todo-sso/auth/testing`: a real local OIDC issuer (discovery, JWKS, introspection) with key
 * rotation, fault injection and a token factory, plus the demo users of the dev realm.
 *
 * @packageDocumentation
 */
export type { TestTokenKind } from './claims.js';
export type { TestEndpoint, TestFault } from './endpoints.js';
export { startTestIssuer } from './issuer.js';
export type { SigningKey, TestAlgorithm } from './keys.js';
export { generateSigningKey } from './keys.js';
export { pooledRsaJwk } from './rsa-pool.js';
export type { TestIssuer, TestIssuerOptions, TestTokenOptions } from './types.js';
export type { TestUser } from './users.js';
export { admin, alice, bob, carol, demoUsers, nobody, testuser } from './users.js';
