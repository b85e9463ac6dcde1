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
