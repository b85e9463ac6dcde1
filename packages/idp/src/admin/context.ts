import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { MemoryStore } from '../adapter.js';
import type { ConsentStore } from '../consent/store.js';
import type { Realm } from '../realm/types.js';
import type { BackchannelReport } from '../sessions/end.js';
import type { AccessTokenRegistry } from '../tokens/access-tokens.js';
import type { UserDirectory } from '../users/directory.js';

/** What the admin REST API works with. */
export interface AdminContext {
  realm: Realm;
  directory: UserDirectory;
  registry: AccessTokenRegistry;
  provider: Provider;
  store: MemoryStore;
  /** People's consents to registered clients (`/users/{id}/consents`). */
  consents: ConsentStore;
  report: BackchannelReport;
  /** Public base URL of the server (Location headers). */
  url: string;
  /** Errors in the shape older Keycloak releases wrote ({@link legacyErrorBody}). */
  legacyErrors?: boolean;
}

/** What the caller may do, from the `realm-management` roles of its token (Keycloak's rules). */
export interface AdminPermissions {
  queryUsers: boolean;
  viewUsers: boolean;
  manageUsers: boolean;
  queryGroups: boolean;
  listClients: boolean;
  viewClients: boolean;
  /** Any `realm-management` role (enough to list a container's roles in Keycloak). */
  anyAdminRole: boolean;
}

/** One admin request: the route's path parameters, the query and the caller's permissions. */
export interface AdminCall {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  can: AdminPermissions;
}

/** Answers of the admin API are JSON with Keycloak's error shapes; this ends a request with one. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error ?? body.errorMessage ?? status));
    this.name = 'AdminError';
  }
}

export const notFound = (what: string) => new AdminError(404, { error: `${what} not found` });
export const badRequest = (message: string) => new AdminError(400, { error: message });

/**
 * An error body as older Keycloak releases wrote it: their error handler (javax-era
 * `KeycloakErrorHandler`) kept a message in `error` only when it has an OAuth error code's
 * syntax (`^[0-9a-z_]+$`), and otherwise wrote it as `error_description` with `error`
 * `invalid_request`: `{"error":"invalid_request","error_description":"User not found"}`.
 */
export function legacyErrorBody(body: Record<string, unknown>): Record<string, unknown> {
  const { error, ...rest } = body;
  if (typeof error !== 'string' || /^[0-9a-z_]+$/.test(error) || Object.keys(rest).length > 0)
    return body;
  return { error: 'invalid_request', error_description: error };
}
