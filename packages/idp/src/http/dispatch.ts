import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminContext } from '../admin/context.js';
import { handleAdmin } from '../admin/router.js';
import { withDefaultScopes } from '../keycloak/compat.js';
import { handleRefreshTokenLogout } from '../keycloak/logout.js';
import type { Layout } from '../layout.js';
import type { IdpProfile } from '../profiles/profile.js';
import { screenRegistration } from '../registration/handler.js';
import type { LoginContext } from '../sessions/context.js';
import type { BackchannelReport } from '../sessions/end.js';
import { handleInteraction } from '../sessions/login.js';
import { handleIntrospection, handleRevocation } from '../tokens/endpoints.js';
import { handleUserinfo, type UserinfoDpop, userinfoDpop } from '../tokens/userinfo.js';
import { normalizeClientAuth } from './client-auth.js';
import { answerPreflight, applyCors } from './cors.js';
import {
  BODY_LIMIT,
  isForm,
  PayloadTooLargeError,
  readBody,
  readForm,
  replaceBody,
  send,
  sendJson,
  sendOAuthError,
} from './io.js';
import { setSecurityHeaders } from './security-headers.js';

/** What the dispatcher routes between. */
export interface DispatchContext {
  login: LoginContext;
  /** The Keycloak Admin REST API's context (it holds the access-token registry). */
  admin: AdminContext;
  /** The server imitated. */
  profile: IdpProfile;
  layout: Layout;
  report: BackchannelReport;
  /** The configured public base URL; every URL the IdP writes starts with it. */
  publicUrl: URL;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The URLs oidc-provider writes (discovery, device verification, redirects) come from the
 * configured public URL, never from the request's `Host` or a client-written `X-Forwarded-*`
 * header: the provider runs with `proxy = true` and reads these two headers, set here alone.
 */
function pinPublicOrigin(req: IncomingMessage, publicUrl: URL): void {
  req.headers['x-forwarded-host'] = publicUrl.host;
  req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  req.headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
}

/**
 * Reads the body of every request that has one before any handler runs, so that a body over
 * 64 KiB is answered 413 at every endpoint alike (RFC 9110 §15.5.14), never 400 or 500.
 */
async function bodyWithinLimit(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  try {
    await readBody(req);
    return true;
  } catch (error) {
    if (!(error instanceof PayloadTooLargeError)) throw error;
    res.setHeader('connection', 'close');
    sendJson(res, 413, {
      error: 'invalid_request',
      error_description: `request body over ${BODY_LIMIT} bytes`,
    });
    return false;
  }
}

/**
 * OpenID Connect Core §3.1.2.1 (authorization) and RP-Initiated Logout 1.0 §2 (end session): the
 * endpoints take GET and POST alike, the POST carrying the same parameters form-serialized. The
 * form is handed to oidc-provider as the query of a GET, which keeps its session cookies `Lax`
 * (its own POST support needs `SameSite=None`, hence `Secure`, which plain-HTTP development
 * cannot set).
 */
function postAsGet(req: IncomingMessage, requestUrl: URL, form: URLSearchParams): void {
  for (const [name, value] of form) requestUrl.searchParams.append(name, value);
  req.method = 'GET';
  delete req.headers['content-type'];
  delete req.headers['content-length'];
}

/** oidc-provider's pushed authorization request endpoint (RFC 9126), mount-relative. */
const PAR = '/request';

/**
 * The endpoints the dev IdP answers itself (UserInfo, introspection, revocation, the profile's
 * own pages); true when the request was answered.
 */
async function ownEndpoint(
  c: DispatchContext,
  rel: string,
  req: IncomingMessage,
  res: ServerResponse,
  dpop: UserinfoDpop | undefined,
): Promise<boolean> {
  const { routes } = c.layout;
  const { provider, realm } = c.login;
  const own =
    rel === routes.userinfo ||
    rel === routes.introspection ||
    rel === routes.revocation ||
    (rel === routes.end_session && req.method !== 'GET');
  if (own) applyCors(realm, req, res);
  if (rel === routes.userinfo) {
    await handleUserinfo(c.admin.registry, realm, c.profile, req, res, dpop);
    return true;
  }
  if (rel === routes.introspection && req.method === 'POST') {
    await handleIntrospection(provider, realm, c.profile, c.admin.registry, req, res);
    return true;
  }
  if (rel === routes.revocation && req.method === 'POST') {
    await handleRevocation(provider, realm, c.admin.registry, req, res);
    return true;
  }
  return c.profile.serve(rel, req, res);
}

/**
 * Adapts a request for oidc-provider the way Keycloak reads it: screens registrations, takes
 * POSTed authorization and logout requests as GETs, adds default scopes and normalizes client
 * authentication. False when the request was answered here instead.
 */
async function prepareForProvider(
  c: DispatchContext,
  rel: string,
  requestUrl: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const { routes } = c.layout;
  const { provider, realm } = c.login;
  if (rel === routes.registration && req.method === 'POST') {
    const registered = [...c.admin.store.entries('Client:')].length;
    const body = await screenRegistration(realm.registrationPolicy, registered, req, res);
    if (!body) return false;
    // oidc-provider takes the pre-read body as is.
    (req as IncomingMessage & { body?: Buffer }).body = body;
  }
  if (req.method !== 'POST' || !isForm(req)) return true;
  const form = await readForm(req);
  if (rel === routes.end_session && form.has('refresh_token')) {
    await handleRefreshTokenLogout(provider, realm, req, res, form, c.report);
    return false;
  }
  if (rel === routes.authorization || rel === routes.end_session) {
    postAsGet(req, requestUrl, form);
  } else if (rel === routes.token || rel === routes.device_authorization || rel === PAR) {
    // Keycloak's default client scopes apply to the device flow and to pushed authorization
    // requests as to the code flow.
    const scoped = rel === routes.token ? undefined : withDefaultScopes(form);
    if (scoped) replaceBody(req, scoped);
    const normalized = normalizeClientAuth(realm, req, scoped ?? form);
    if (normalized === 'invalid') {
      res.setHeader('www-authenticate', `Basic realm="${realm.name}"`);
      sendOAuthError(res, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
      return false;
    }
    if (normalized) replaceBody(req, normalized);
  }
  return true;
}

/**
 * The endpoint path the request names, spelled as the layout spells it. oidc-provider's router
 * matches a path ignoring ASCII case and one trailing slash; every check made here before it
 * (the registration policy, the dev IdP's own endpoints, client authentication) must see
 * `/Clients-Registrations/openid-connect/` as the registration endpoint it is, or the provider
 * serves it unchecked. Any other path is left as it came.
 */
function asProviderMatches(layout: Layout): (rel: string) => string {
  const lower = (path: string) => path.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const routes = new Map<string, string>();
  for (const route of [...Object.values(layout.routes), PAR])
    if (route !== undefined) routes.set(lower(route), route);
  return (rel) => {
    const trimmed = rel.length > 1 && rel.endsWith('/') ? rel.slice(0, -1) : rel;
    return routes.get(lower(trimmed)) ?? rel;
  };
}

/** Routes a request to the dev IdP's own handlers or to oidc-provider. */
export function dispatcher(c: DispatchContext): Handler {
  const { layout, profile } = c;
  const { provider, realm } = c.login;
  const callback = provider.callback();
  const { mountPath } = layout;
  const endpointOf = asProviderMatches(layout);
  // RFC 9449 §7: DPoP-bound tokens at userinfo, where the profile speaks DPoP (as Keycloak does).
  const userinfoPath = `${mountPath}${layout.routes.userinfo}`;
  const dpop = profile.dpop ? userinfoDpop(c.publicUrl, userinfoPath) : undefined;
  return async (req, res) => {
    setSecurityHeaders(res);
    const requestUrl = new URL(req.url ?? '/', 'http://idp.invalid');
    const path = requestUrl.pathname;
    const admin = profile.definition.keycloakAdminApi && path.startsWith('/admin/realms/');
    const alias = layout.aliases[path];
    if (!admin && alias === undefined && !path.startsWith(`${mountPath}/`)) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    if (req.method === 'OPTIONS') {
      answerPreflight(realm, req, res);
      return;
    }
    pinPublicOrigin(req, c.publicUrl);
    if (!(await bodyWithinLimit(req, res))) return;
    if (admin) {
      await handleAdmin(c.admin, req, res, path, requestUrl.searchParams);
      return;
    }
    const rel = alias ?? endpointOf(path.slice(mountPath.length));
    if (rel.startsWith(layout.loginPath)) {
      await login(c, req, res, path);
      return;
    }
    if (await ownEndpoint(c, rel, req, res, dpop)) return;
    if (!(await prepareForProvider(c, rel, requestUrl, req, res))) return;
    (req as IncomingMessage & { originalUrl?: string }).originalUrl =
      `${mountPath}${rel}${requestUrl.search}`;
    req.url = `${rel}${requestUrl.search}`;
    await callback(req, res);
  };
}

async function login(
  c: DispatchContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  try {
    await handleInteraction(c.login, req, res, path);
  } catch (error) {
    if ((error as { name?: string }).name !== 'SessionNotFound') throw error;
    send(
      res,
      400,
      '<!doctype html><p>Your sign-in attempt expired. Start again from the application.</p>',
    );
  }
}
