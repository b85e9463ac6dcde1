/**
 * `@todo-sso/idp` — the embedded development identity provider of todo-sso, built on
 * oidc-provider: Keycloak- (or Authentik-) compatible URLs and tokens, configured by the same
 * Keycloak realm export file that a real Keycloak imports. For development and tests only.
 *
 * @packageDocumentation
 */

// First: silences oidc-provider's runtime warning before that module loads.
import './runtime-warning.js';

export { IdpError, type IdpErrorCode } from './errors.js';
export type { IdpLogger } from './logger.js';
export { DEV_ONLY } from './pages/templates.js';
export type { Profile } from './profiles/index.js';
export { loadRealm } from './realm/load.js';
export type {
  Realm,
  RealmClient,
  RealmRepresentation,
  RealmUser,
} from './realm/types.js';
export { DEFAULT_REALM_FILE, type IdpOptions, type RunningIdp, startIdp } from './server.js';
export { DEFAULT_KEY_GRACE_SECONDS, rotateKeys } from './tokens/keys.js';
