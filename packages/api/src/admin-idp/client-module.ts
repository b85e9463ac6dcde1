/**
 * The Keycloak admin client library, loaded on the first admin call rather than at start-up:
 * it and its HTTP stack are about 150 modules that most runs of the API never use (no Keycloak,
 * or nobody managing people), and loading them cost every start a few hundred milliseconds and
 * several megabytes.
 */
type AdminClientModule = typeof import('@keycloak/keycloak-admin-client');

let loading: Promise<AdminClientModule> | undefined;
let loaded: AdminClientModule | undefined;

/** The library; a failed load is tried again on the next call. */
export function loadAdminClientModule(): Promise<AdminClientModule> {
  loading ??= import('@keycloak/keycloak-admin-client').then(
    (module) => {
      loaded = module;
      return module;
    },
    (error: unknown) => {
      loading = undefined;
      throw new AdminClientUnavailable(error);
    },
  );
  return loading;
}

/** The library if it has been loaded: an error can only be one of its own after a load. */
export function loadedAdminClientModule(): AdminClientModule | undefined {
  return loaded;
}

/** The admin client library could not be loaded (a broken install): answered as 503. */
export class AdminClientUnavailable extends Error {
  override readonly name = 'AdminClientUnavailable';
  constructor(cause: unknown) {
    super(
      `the Keycloak admin client library cannot be loaded (${(cause as Error)?.message ?? cause})`,
      { cause },
    );
  }
}
