import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { clientBasicAuth, discoveryBase, PROFILES, shownUrl } from '@todo-sso/auth';
import type { ApiConfig, IssuerConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { loadAdminClientModule } from './client-module.js';

/** Where and as whom the API calls the identity provider's admin API. */
export interface IdpAdminTarget {
  /** The issuer whose people these are (tokens' `iss`). */
  readonly issuer: string;
  /** Server root, e.g. `http://keycloak:8080`: the admin API is `<server>/admin/realms/<realm>`. */
  readonly server: string;
  readonly realm: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Why the admin routes cannot work with this configuration (answered as 501). */
export interface IdpAdminUnsupported {
  readonly unsupported: string;
}

const REALM_PATH = /^(.*)\/realms\/([^/]+)\/?$/;
const ADMIN_PATH = /^(.*)\/admin\/realms\/([^/]+)\/?$/;

/**
 * The admin target from the configuration: the first Keycloak-profile issuer, its server and
 * realm taken from where the API reaches it (`OIDC_DISCOVERY_URL`, else the issuer:
 * `<server>/realms/<realm>`), or from `IDP_ADMIN_URL` (`<server>/admin/realms/<realm>`); the
 * credentials are `OIDC_CLIENT_ID` / `OIDC_CLIENT_SECRET`.
 *
 * @throws {ConfigError} when `IDP_ADMIN_URL` is not an admin realm URL.
 */
export function idpAdminTarget(config: ApiConfig): IdpAdminTarget | IdpAdminUnsupported {
  const issuer: IssuerConfig | undefined = config.issuers.find(
    (i) => PROFILES[i.profile].keycloakAdminApi,
  );
  if (issuer === undefined) {
    const profile = PROFILES[config.issuers[0]?.profile ?? 'generic'];
    const where = profile.usersConsole && ` (${profile.title}: ${profile.usersConsole})`;
    return {
      unsupported: `The ${profile.name} provider profile has no Keycloak Admin REST API: create people, change their roles and end their sessions in the identity provider's own console${where ?? ''}.`,
    };
  }
  if (issuer.clientId === undefined || issuer.clientSecret === undefined)
    return {
      // Beside OIDC_ISSUERS the single-issuer variables stop the start: the entry's fields too.
      unsupported: `The API has no service-account credentials for the identity provider: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, or with OIDC_ISSUERS "clientId" and "clientSecret" in the OIDC_ISSUERS entry of ${shownUrl(issuer.issuer)} (a confidential client with the realm-management roles view-users, manage-users, query-groups and view-clients).`,
    };
  let server: string | undefined;
  let realm: string | undefined;
  if (config.idpAdminUrl !== undefined) {
    const m = ADMIN_PATH.exec(config.idpAdminUrl);
    if (!m) throw new ConfigError('IDP_ADMIN_URL', 'must look like <server>/admin/realms/<realm>');
    [, server, realm] = m;
  } else {
    // Where the API reaches the realm, read as the key loader reads OIDC_DISCOVERY_URL.
    const m = REALM_PATH.exec(discoveryBase(issuer));
    if (!m)
      return {
        unsupported:
          'The issuer URL is not a Keycloak realm URL (<server>/realms/<realm>): set IDP_ADMIN_URL to <server>/admin/realms/<realm>.',
      };
    [, server, realm] = m;
  }
  return {
    issuer: issuer.issuer,
    server: server ?? '',
    realm: decodeURIComponent(realm ?? ''),
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
  };
}

/** The admin client's resources the API calls (each method is one HTTP request). */
const RESOURCES = new Set<PropertyKey>(['users', 'clients', 'roles', 'groups']);

/**
 * The client with every resource call sent once more, with a new token, when the IdP answers
 * 401: the cached token was refused before it expired by the API's clock (the IdP restarted or
 * revoked it, or the clocks differ). A 401 means the IdP did nothing (RFC 6750 §3.1
 * `invalid_token`), so resending is safe for a change too; a second 401 is the answer.
 *
 * `tokenOfCall`, asked as a call starts, gives what forgets the token that call is sent with,
 * and that token only: calls sent at once with the refused token come back 401 one after the
 * other, and one coming back after another's renewal must not drop the new token (each would
 * then ask for one more).
 */
function renewingOn401(
  client: KeycloakAdminClient,
  isUnauthorized: (error: unknown) => boolean,
  tokenOfCall: () => { forget(): void },
): KeycloakAdminClient {
  const resend = (resource: object) =>
    new Proxy(resource, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        // `makeRequest` / `makeUpdateRequest` build request functions; they send nothing.
        if (typeof value !== 'function' || String(property).startsWith('make')) return value;
        return async (...args: unknown[]) => {
          const used = tokenOfCall();
          try {
            return await value.apply(target, args);
          } catch (error) {
            if (!isUnauthorized(error)) throw error;
            used.forget();
            return value.apply(target, args);
          }
        };
      },
    });
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      return RESOURCES.has(property) && typeof value === 'object' && value !== null
        ? resend(value)
        : value;
    },
  });
}

/**
 * The official Keycloak admin client for a target, authenticated by the client credentials
 * grant (RFC 6749 §4.4) of the API's own client. The token is cached until 30 s before it
 * expires; concurrent calls share one token request; a call the IdP answers with 401 gets a new
 * token and is sent once more. The library is loaded here, on the first admin call
 * (`client-module.ts`).
 */
export async function createAdminClient(
  target: IdpAdminTarget,
  options: { readonly timeoutMs: number; readonly now: () => number },
): Promise<KeycloakAdminClient> {
  const { default: KeycloakAdminClient, NetworkError } = await loadAdminClientModule();
  const client = new KeycloakAdminClient({
    baseUrl: target.server,
    realmName: target.realm,
    timeout: options.timeoutMs,
  });
  let token: { value: string; expiresAt: number; generation: number } | undefined;
  /** How many tokens have been obtained: the generation of the latest. */
  let generation = 0;
  let inflight: Promise<string> | undefined;
  const fetchToken = async (): Promise<string> => {
    const url = `${target.server}/realms/${encodeURIComponent(target.realm)}/protocol/openid-connect/token`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        // RFC 6749 §2.3.1: id and secret form-urlencoded (a space is "+") before base64.
        authorization: clientBasicAuth(target.clientId, target.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== 'string')
      throw new TokenError(response.status, String(body.error ?? response.statusText));
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 60;
    generation += 1;
    token = {
      value: body.access_token,
      expiresAt: options.now() + (lifetime - 30) * 1000,
      generation,
    };
    return token.value;
  };
  client.registerTokenProvider({
    getAccessToken: async () => {
      if (token && options.now() < token.expiresAt) return token.value;
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  });
  return renewingOn401(
    client,
    (error) => error instanceof NetworkError && error.response.status === 401,
    () => {
      // The cached token while it is valid; otherwise the next one obtained (a request under
      // way, or the one this call starts).
      const used = token && options.now() < token.expiresAt ? token.generation : generation + 1;
      return {
        forget: () => {
          if (token !== undefined && token.generation <= used) token = undefined;
        },
      };
    },
  );
}

/** The client-credentials grant failed (401/400: the API's credentials; 5xx: the IdP). */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly status: number,
    readonly error: string,
  ) {
    super(`client credentials grant refused (${status} ${error})`);
  }
}
