import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Provider from 'oidc-provider';
import { MemoryStore } from './adapter.js';
import type { AdminContext } from './admin/context.js';
import { handleAdmin } from './admin/router.js';
import { IdpError } from './errors.js';
import { applyCors } from './http/cors.js';
import { readBody, send, sendJson } from './http/io.js';
import { keycloakIframes } from './keycloak/iframes.js';
import { handleRefreshTokenLogout } from './keycloak/logout.js';
import { authentikLayout, keycloakLayout, type Layout } from './layout.js';
import { type IdpLogger, silentLogger } from './logger.js';
import { OtpVerifier } from './otp/verifier.js';
import { buildProvider, INTERACTION_TTL } from './provider.js';
import { loadRealm } from './realm/load.js';
import type { Realm, RealmRepresentation } from './realm/types.js';
import type { LoginContext, LoginGuard } from './sessions/context.js';
import { type BackchannelReport, endSession } from './sessions/end.js';
import { type SessionTimeouts, sessionTtl } from './sessions/lifespan.js';
import { handleInteraction } from './sessions/login.js';
import { PendingLogins } from './sessions/pending.js';
import { AccessTokenRegistry } from './tokens/access-tokens.js';
import type { Profile } from './tokens/claims.js';
import { handleIntrospection, handleRevocation } from './tokens/endpoints.js';
import { loadKeys } from './tokens/keys.js';
import { handleUserinfo } from './tokens/userinfo.js';
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
  const profile = options.profile ?? 'keycloak';
  const log = options.logger ?? silentLogger;
  const loaded = loadRealm(options.realm ?? DEFAULT_REALM_FILE);
  const realm: Realm = {
    ...loaded,
    ssoSessionIdleTimeout:
      seconds(options, 'ssoSessionIdleTimeout') ?? loaded.ssoSessionIdleTimeout,
    ssoSessionMaxLifespan:
      seconds(options, 'ssoSessionMaxLifespan') ?? loaded.ssoSessionMaxLifespan,
  };
  const dataDir = options.dataDir ?? join(REPO_ROOT, '.data/idp');
  const keys = await loadKeys(dataDir);
  // Changes to users (admin API, enrolment) persist on top of the realm file, which stays the seed.
  const directory = new UserDirectory(realm, join(dataDir, 'users.json'), log);
  const otp = new OtpVerifier(realm.otpPolicy);
  const guard: LoginGuard = { failed: () => {} };
  const host = options.host ?? 'localhost';
  const server = createServer();
  const port = await listen(server, options.port ?? (profile === 'keycloak' ? 8080 : 9000), host);
  const url = (options.publicUrl ?? `http://${urlHost(host)}:${port}`).replace(/\/+$/, '');
  const layout = profile === 'keycloak' ? keycloakLayout(realm.name) : authentikLayout(realm.name);
  const issuer = url + layout.issuerPath;
  const store = new MemoryStore();
  const provider = buildProvider({
    issuer,
    layout,
    realm,
    keys,
    store,
    accessTokenLifespan: options.accessTokenLifespan ?? realm.accessTokenLifespan,
    otp,
    guard,
  });
  const login: LoginContext = {
    provider,
    realm,
    directory,
    otp,
    guard,
    pending: new PendingLogins(INTERACTION_TTL),
    showDevOtp: options.devOtpHint ?? true,
  };

  const report: BackchannelReport = (clientId, outcome) => {
    if (outcome.ok) log.info(`back-channel logout delivered to ${clientId}`);
    else log.warn(`back-channel logout to ${clientId} failed: ${outcome.error.message}`);
  };
  store.onSessionExpired = (session) => {
    endSession(provider, session, report).catch((error: Error) =>
      log.error(`ending an expired session failed: ${error.message}`),
    );
  };
  provider.on('backchannel.success', (_ctx, client) => report(client.clientId, { ok: true }));
  provider.on('backchannel.error', (_ctx, error, client) =>
    report(client.clientId, { ok: false, error }),
  );
  provider.on('server_error', (_ctx, error) => log.error(`server error: ${error.message}`));
  extendSessionOnRefresh(provider, realm, log);
  addDiscoveryFields(provider, url, layout);
  allowCredentialsForClientOrigins(provider);

  const registry = new AccessTokenRegistry(provider, store, keys, issuer);
  const admin: AdminContext = { realm, directory, registry, provider, store, report, url };
  const dispatch = dispatcher(login, admin, layout, report);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res).catch((error: Error) => {
      log.error(`request failed: ${error.message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.end();
    });
  });

  log.info(`development identity provider (${profile}) listening, issuer ${issuer}`);
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

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function dispatcher(
  login: LoginContext,
  admin: AdminContext,
  layout: Layout,
  report: BackchannelReport,
): Handler {
  const { provider, realm } = login;
  const { registry } = admin;
  const callback = provider.callback();
  const { mountPath, routes, profile } = layout;
  return async (req, res) => {
    const requestUrl = new URL(req.url ?? '/', 'http://idp.invalid');
    const path = requestUrl.pathname;
    if (profile === 'keycloak' && path.startsWith('/admin/realms/')) {
      await handleAdmin(admin, req, res, path, requestUrl.searchParams);
      return;
    }
    const alias = layout.aliases[path];
    if (alias === undefined && !path.startsWith(`${mountPath}/`)) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const rel = alias ?? path.slice(mountPath.length);

    if (rel.startsWith(layout.loginPath)) {
      try {
        await handleInteraction(login, req, res, path);
      } catch (error) {
        if ((error as { name?: string }).name !== 'SessionNotFound') throw error;
        send(
          res,
          400,
          '<!doctype html><p>Your sign-in attempt expired. Start again from the application.</p>',
        );
      }
      return;
    }
    const ownEndpoint =
      rel === routes.userinfo ||
      rel === routes.introspection ||
      rel === routes.revocation ||
      (rel === routes.end_session && req.method !== 'GET');
    if (ownEndpoint && applyCors(realm, req, res)) return;
    if (rel === routes.userinfo) {
      await handleUserinfo(registry, realm, profile, req, res);
      return;
    }
    if (rel === routes.introspection && req.method === 'POST') {
      await handleIntrospection(provider, realm, profile, registry, req, res);
      return;
    }
    if (rel === routes.revocation && req.method === 'POST') {
      await handleRevocation(provider, realm, registry, req, res);
      return;
    }
    if (profile === 'keycloak' && keycloakIframes(rel, req, res)) return;
    if (rel === routes.end_session && req.method === 'POST') {
      const isForm = (req.headers['content-type'] ?? '').startsWith(
        'application/x-www-form-urlencoded',
      );
      const raw = isForm ? await readBody(req) : undefined;
      const form = new URLSearchParams(raw?.toString('utf8') ?? '');
      if (form.has('refresh_token')) {
        await handleRefreshTokenLogout(provider, realm, req, res, form, report);
        return;
      }
      // The body is already read: hand it to oidc-provider pre-parsed.
      if (raw) (req as IncomingMessage & { body?: Buffer }).body = raw;
    }
    (req as IncomingMessage & { originalUrl?: string }).originalUrl =
      `${mountPath}${rel}${requestUrl.search}`;
    req.url = `${rel}${requestUrl.search}`;
    await callback(req, res);
  };
}

/**
 * Keycloak's SSO session idle timeout restarts whenever the session's refresh token is used, but
 * never past the session's max lifespan: the session keeps its end there, so the store's expiry
 * sweep ends it (with back-channel logout) exactly as on idle expiry.
 */
function extendSessionOnRefresh(
  provider: Provider,
  timeouts: SessionTimeouts,
  log: IdpLogger,
): void {
  provider.on('grant.success', (ctx) => {
    const rt = ctx.oidc.entities.RefreshToken;
    if (ctx.oidc.params?.grant_type !== 'refresh_token' || !rt?.sessionUid) return;
    provider.Session.findByUid(rt.sessionUid)
      .then((session) => session?.save(sessionTtl(timeouts, session.loginTs)))
      .catch((error: Error) => log.warn(`session idle extension failed: ${error.message}`));
  });
}

/**
 * keycloak-js calls the token endpoint with credentials; Keycloak answers an allowed web origin
 * with `Access-Control-Allow-Credentials: true`. oidc-provider has already checked the origin
 * against the client's web origins (`clientBasedCORS`) when it echoes it back.
 */
function allowCredentialsForClientOrigins(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    const origin = ctx.response.get('access-control-allow-origin');
    if (origin && origin !== '*') {
      ctx.set('access-control-allow-credentials', 'true');
      ctx.vary('Origin');
    }
  });
}

/** Discovery (OpenID Connect Discovery 1.0 §3) lists the endpoints the dev IdP serves itself. */
function addDiscoveryFields(provider: Provider, url: string, layout: Layout): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'discovery' || typeof ctx.body !== 'object' || !ctx.body) return;
    const body = ctx.body as Record<string, unknown>;
    body.userinfo_endpoint = `${url}${layout.mountPath}${layout.routes.userinfo}`;
    body.backchannel_logout_supported = true;
    body.backchannel_logout_session_supported = true;
    body.grant_types_supported = [
      ...new Set([...((body.grant_types_supported as string[]) ?? []), 'password']),
    ];
  });
}
