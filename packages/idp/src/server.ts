import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Provider from 'oidc-provider';
import { MemoryStore } from './adapter.js';
import type { AdminContext } from './admin/context.js';
import { ConsentStore } from './consent/store.js';
import { IdpError } from './errors.js';
import { boundedServer, REQUEST_TIMEOUT_MS } from './http/bounded-server.js';
import { allowCredentialsForClientOrigins } from './http/cors.js';
import { addDiscoveryFields } from './http/discovery.js';
import { dispatcher } from './http/dispatch.js';
import { sendJson } from './http/io.js';
import { type IdpLogger, silentLogger } from './logger.js';
import { OtpVerifier } from './otp/verifier.js';
import { idpProfile, type Profile } from './profiles/index.js';
import { buildProvider, INTERACTION_TTL } from './provider.js';
import { loadRealm } from './realm/load.js';
import type { Realm, RealmRepresentation } from './realm/types.js';
import { recordBrowserSessionAddresses } from './sessions/address.js';
import { backchannelReport } from './sessions/backchannel-report.js';
import { BruteForceGuard } from './sessions/brute-force.js';
import type { LoginContext } from './sessions/context.js';
import { type BackchannelReport, endSession } from './sessions/end.js';
import { extendSessionOnRefresh } from './sessions/lifespan.js';
import { PendingLogins } from './sessions/pending.js';
import { AccessTokenRegistry } from './tokens/access-tokens.js';
import { loadKeys } from './tokens/keys.js';
import { UserDirectory } from './users/directory.js';

/** The repository root (this file lives in packages/idp/src or packages/idp/dist). */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The realm file a real Keycloak imports; the dev IdP's default configuration. */
export const DEFAULT_REALM_FILE = join(REPO_ROOT, 'deploy/keycloak/realm-todo-app.json');

/** Options of {@link startIdp}. */
export interface IdpOptions {
  /** Which server to imitate; default `keycloak`. */
  profile?: Profile;
  /** Interface to bind; default `localhost`. */
  host?: string;
  /** Default 8080 (keycloak) or 9000 (authentik); 0 picks a free port. */
  port?: number;
  /** Public base URL used in the issuer; default `http://<host>:<port>`. */
  publicUrl?: string;
  /** A realm representation or the path of a realm file; default the repository's dev realm. */
  realm?: RealmRepresentation | string;
  /** Where signing keys persist; default `<repo>/.data/idp`. */
  dataDir?: string;
  /** Access token lifetime in seconds; overrides the realm's `accessTokenLifespan`. */
  accessTokenLifespan?: number;
  /** Overrides the realm's `ssoSessionIdleTimeout` (seconds), e.g. to test session expiry. */
  ssoSessionIdleTimeout?: number;
  /** Overrides the realm's `ssoSessionMaxLifespan` (seconds), e.g. to test session expiry. */
  ssoSessionMaxLifespan?: number;
  /** Show the current OTP code on the OTP page, labelled development only; default true. */
  devOtpHint?: boolean;
  /** Overrides {@link REQUEST_TIMEOUT_MS}, e.g. to test a slow client. */
  requestTimeoutMs?: number;
  /**
   * The clock (ms since the epoch) brute-force detection counts failures and lockouts with;
   * default `Date.now`. Tests move it instead of sleeping through a lockout.
   */
  bruteForceClock?: () => number;
  /**
   * Keycloak profile: the admin REST API writes its errors as older Keycloak releases did, a
   * message that is not an OAuth error code under `error_description` with `error`
   * `invalid_request` (`{"error":"invalid_request","error_description":"User not found"}`);
   * default false, current releases' `{"error":"User not found"}`.
   */
  legacyAdminErrors?: boolean;
  logger?: IdpLogger;
}

/** A running development identity provider. */
export interface RunningIdp {
  /** The issuer (`iss` of every token). */
  issuer: string;
  /** The base URL the server answers on. */
  url: string;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new IdpError(
            'ERR_PORT_IN_USE',
            `port ${port} on ${host} is already in use; stop what holds it or set PORT`,
            { cause: error },
          ),
        );
      } else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A timeout override must be whole seconds, as in the realm file (oidc-provider refuses others). */
function seconds(
  options: IdpOptions,
  name: 'ssoSessionIdleTimeout' | 'ssoSessionMaxLifespan',
): number | undefined {
  const value = options[name];
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new TypeError(`${name} must be a positive integer (seconds), got ${value}`);
  }
  return value;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The realm file (or representation) with the session timeouts the options override. */
function realmOf(options: IdpOptions): Realm {
  const loaded = loadRealm(options.realm ?? DEFAULT_REALM_FILE);
  return {
    ...loaded,
    ssoSessionIdleTimeout:
      seconds(options, 'ssoSessionIdleTimeout') ?? loaded.ssoSessionIdleTimeout,
    ssoSessionMaxLifespan:
      seconds(options, 'ssoSessionMaxLifespan') ?? loaded.ssoSessionMaxLifespan,
  };
}

/**
 * Keeps sessions as Keycloak does: an expired one is ended (with back-channel logout), refreshes
 * extend it, browser sessions remember their address; delivery and server errors are logged.
 */
function followSessions(
  provider: Provider,
  store: MemoryStore,
  realm: Realm,
  report: BackchannelReport,
  log: IdpLogger,
): void {
  store.onSessionExpired = (session) => {
    endSession(provider, session, report).catch((error: Error) =>
      log.error(`ending an expired session failed: ${error.message}`),
    );
  };
  provider.on('backchannel.success', (_ctx, client) => report(client.clientId, { ok: true }));
  provider.on('backchannel.error', (_ctx, error, client) =>
    report(client.clientId, {
      ok: false,
      error,
      uri: (client as { backchannelLogoutUri?: string }).backchannelLogoutUri,
    }),
  );
  provider.on('server_error', (_ctx, error) => log.error(`server error: ${error.message}`));
  recordBrowserSessionAddresses(provider, store, realm.ssoSessionMaxLifespan);
  extendSessionOnRefresh(provider, realm, log);
}

/**
 * Starts the embedded development identity provider: Keycloak's (or Authentik's) URLs and token
 * shapes, configured by a Keycloak realm export. For development and tests only.
 *
 * @example
 * const idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: tmp });
 * // idp.issuer === `http://127.0.0.1:${port}/realms/todo-app`
 * await idp.close();
 */
export async function startIdp(options: IdpOptions = {}): Promise<RunningIdp> {
  const profile = idpProfile(options.profile);
  const log = options.logger ?? silentLogger;
  const realm = realmOf(options);
  const dataDir = options.dataDir ?? join(REPO_ROOT, '.data/idp');
  const keys = await loadKeys(dataDir);
  // Changes to users (admin API, enrolment) persist on top of the realm file, which stays the seed.
  const directory = new UserDirectory(realm, join(dataDir, 'users.json'), log);
  const otp = new OtpVerifier(realm.otpPolicy);
  const guard = new BruteForceGuard(realm, options.bruteForceClock);
  const host = options.host ?? 'localhost';
  const server = boundedServer(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
  const port = await listen(server, options.port ?? profile.defaultPort, host);
  const url = (options.publicUrl ?? `http://${urlHost(host)}:${port}`).replace(/\/+$/, '');
  const layout = profile.layout(realm.name);
  const issuer = url + layout.issuerPath;
  const store = new MemoryStore();
  const provider = buildProvider({
    issuer,
    profile,
    layout,
    realm,
    keys,
    store,
    accessTokenLifespan: options.accessTokenLifespan ?? realm.accessTokenLifespan,
    otp,
    guard,
  });
  const consents = new ConsentStore();
  const login: LoginContext = {
    provider,
    consents,
    realm,
    directory,
    otp,
    guard,
    pending: new PendingLogins(INTERACTION_TTL),
    showDevOtp: options.devOtpHint ?? true,
  };

  const report = backchannelReport(log);
  followSessions(provider, store, realm, report, log);
  addDiscoveryFields(provider, url, layout);
  allowCredentialsForClientOrigins(provider);

  const registry = new AccessTokenRegistry(provider, store, keys, issuer);
  const admin: AdminContext = {
    ...{ realm, directory, registry, provider, store, consents, report, url },
    legacyErrors: options.legacyAdminErrors === true,
  };
  const dispatch = dispatcher({ login, admin, profile, layout, report, publicUrl: new URL(url) });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res).catch((error: Error) => {
      log.error(`request failed: ${error.message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.end();
    });
  });

  log.info(`development identity provider (${profile.name}) listening, issuer ${issuer}`);
  return {
    issuer,
    url,
    async close() {
      store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
