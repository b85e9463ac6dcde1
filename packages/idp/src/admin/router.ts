import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http/io.js';
import type { RealmClient } from '../realm/types.js';
import { adminPermissions } from './auth.js';
import { listConsents, revokeConsent } from './consents.js';
import {
  type AdminCall,
  type AdminContext,
  AdminError,
  type AdminPermissions,
  badRequest,
  legacyErrorBody,
} from './context.js';
import { groupsOfUser, listGroups } from './groups.js';
import { clientRepresentation } from './representations.js';
import {
  allMappings,
  changeMappings,
  clientByUuid,
  getRole,
  listMappings,
  listRoles,
} from './role-mappings.js';
import { listSessions, logoutUser } from './sessions.js';
import { withoutTrailingSlashes } from './trailing-slashes.js';
import {
  countUsers,
  createUser,
  deleteUser,
  getUser,
  listUsers,
  resetPassword,
  updateUser,
} from './users.js';

type Need = keyof AdminPermissions;
/** What a route answers: a JSON body (200), `undefined` (204), or a created resource (201). */
type Result = unknown | { created: string };
type Route = [
  method: string,
  pattern: RegExp,
  need: Need,
  handle: (ctx: AdminContext, call: AdminCall, body: unknown) => Result | Promise<Result>,
];

const ID = '([^/]+)';
const MAPPINGS = `/users/${ID}/role-mappings`;
const CLIENT_MAPPINGS = `${MAPPINGS}/clients/${ID}`;
const client = (ctx: AdminContext, call: AdminCall) => clientByUuid(ctx, call.params[1]);
const body = (value: unknown) => (value ?? {}) as Record<string, unknown>;

/**
 * The subset of Keycloak's Admin REST API the dev IdP serves, below `/admin/realms/{realm}`, with
 * the `realm-management` role each route needs in Keycloak (view-users includes query-users and
 * query-groups; manage-users may view too).
 */
const ROUTES: Route[] = [
  ['GET', /^\/users$/, 'queryUsers', (ctx, call) => listUsers(ctx, call)],
  ['GET', /^\/users\/count$/, 'queryUsers', (ctx, call) => countUsers(ctx, call)],
  ['POST', /^\/users$/, 'manageUsers', (ctx, _c, b) => ({ created: createUser(ctx, body(b)) })],
  ['GET', new RegExp(`^/users/${ID}$`), 'viewUsers', (ctx, call) => getUser(ctx, call)],
  ['PUT', new RegExp(`^/users/${ID}$`), 'manageUsers', (ctx, c, b) => updateUser(ctx, c, body(b))],
  ['DELETE', new RegExp(`^/users/${ID}$`), 'manageUsers', (ctx, call) => deleteUser(ctx, call)],
  [
    'PUT',
    new RegExp(`^/users/${ID}/reset-password$`),
    'manageUsers',
    (ctx, c, b) => resetPassword(ctx, c, body(b)),
  ],
  ['GET', new RegExp(`^/users/${ID}/sessions$`), 'viewUsers', (ctx, c) => listSessions(ctx, c)],
  ['POST', new RegExp(`^/users/${ID}/logout$`), 'manageUsers', (ctx, c) => logoutUser(ctx, c)],
  ['GET', new RegExp(`^/users/${ID}/consents$`), 'viewUsers', (ctx, c) => listConsents(ctx, c)],
  [
    'DELETE',
    new RegExp(`^/users/${ID}/consents/${ID}$`),
    'manageUsers',
    (ctx, c) => revokeConsent(ctx, c),
  ],
  ['GET', new RegExp(`^/users/${ID}/groups$`), 'viewUsers', (ctx, c) => groupsOfUser(ctx, c)],
  ['GET', new RegExp(`^${MAPPINGS}$`), 'viewUsers', (ctx, c) => allMappings(ctx, c)],
  ...(['direct', 'composite', 'available'] as const).flatMap((view): Route[] => {
    const suffix = view === 'direct' ? '' : `/${view}`;
    return [
      [
        'GET',
        new RegExp(`^${MAPPINGS}/realm${suffix}$`),
        'viewUsers',
        (ctx, c) => listMappings(ctx, c, undefined, view),
      ],
      [
        'GET',
        new RegExp(`^${CLIENT_MAPPINGS}${suffix}$`),
        'viewUsers',
        (ctx, c) => listMappings(ctx, c, client(ctx, c), view),
      ],
    ];
  }),
  ...(['POST', 'DELETE'] as const).flatMap((method): Route[] => [
    [
      method,
      new RegExp(`^${MAPPINGS}/realm$`),
      'manageUsers',
      (ctx, c, b) => changeMappings(ctx, c, undefined, b, method === 'POST'),
    ],
    [
      method,
      new RegExp(`^${CLIENT_MAPPINGS}$`),
      'manageUsers',
      (ctx, c, b) => changeMappings(ctx, c, client(ctx, c), b, method === 'POST'),
    ],
  ]),
  ['GET', /^\/roles$/, 'anyAdminRole', (ctx, call) => listRoles(ctx, call, undefined)],
  ['GET', /^\/clients$/, 'listClients', (ctx, call) => listClients(ctx, call)],
  [
    'GET',
    new RegExp(`^/clients/${ID}/roles$`),
    'anyAdminRole',
    (ctx, c) => listRoles(ctx, c, clientByUuid(ctx, c.params[0])),
  ],
  [
    'GET',
    new RegExp(`^/clients/${ID}/roles/${ID}$`),
    'viewClients',
    (ctx, c) => getRole(ctx, clientByUuid(ctx, c.params[0]), c.params[1]),
  ],
  ['GET', /^\/groups$/, 'queryGroups', (ctx, call) => listGroups(ctx, call)],
];

/**
 * `GET /clients?clientId=…[&search=true]`. Keycloak answers anyone with `query-clients` or
 * `query-users` (200), but a client appears only to a caller who may view it (`view-clients`):
 * without that the list is empty, so a user administrator cannot even learn a client's id.
 */
function listClients(ctx: AdminContext, call: AdminCall) {
  if (!call.can.viewClients) return [];
  const wanted = call.query.get('clientId');
  const search = call.query.get('search') === 'true';
  const registered = [...ctx.store.entries('Client:')].map(([, c]) => registeredClient(c));
  return [...ctx.realm.clients.values(), ...registered]
    .filter(
      (c) =>
        !wanted ||
        (search ? c.clientId.toLowerCase().includes(wanted.toLowerCase()) : c.clientId === wanted),
    )
    .map((c) => clientRepresentation(c));
}

/** A client registered through RFC 7591, in the realm client's shape (public, code flow). */
function registeredClient(metadata: Record<string, unknown>): RealmClient {
  const uris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.map(String) : [];
  return {
    clientId: String(metadata.client_id),
    publicClient: true,
    secret: undefined,
    redirectUris: uris,
    postLogoutRedirectUris: [],
    webOrigins: [],
    standardFlow: true,
    directAccessGrants: false,
    serviceAccount: false,
    deviceGrant: false,
    pkceMethod: 'S256',
    dpopBound: false,
    backchannelLogoutUrl: undefined,
    backchannelLogoutSessionRequired: false,
    audiences: [],
    attributeMappers: [],
  };
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

/**
 * Serves `/admin/realms/{realm}/…`: 401 without a valid token of this realm, 403 without the
 * route's role, Keycloak's statuses and bodies otherwise (204 for changes, 201 with a Location
 * for a created user).
 */
export async function handleAdmin(
  ctx: AdminContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const prefix = `/admin/realms/${ctx.realm.name}`;
  if (path !== prefix && !path.startsWith(`${prefix}/`)) {
    sendJson(res, 404, { error: 'Realm not found.' });
    return;
  }
  const rel = withoutTrailingSlashes(path.slice(prefix.length));
  const method = req.method ?? 'GET';
  const match = ROUTES.map((r) => [r, r[1].exec(rel)] as const).find(
    ([r, m]) => m && r[0] === method,
  );
  const can = await adminPermissions(ctx, req);
  if (!can) {
    res.setHeader('www-authenticate', 'Bearer');
    sendJson(res, 401, { error: 'HTTP 401 Unauthorized' });
    return;
  }
  if (!match) {
    const known = ROUTES.some((r) => r[1].test(rel));
    sendJson(res, known ? 405 : 404, {
      error: known ? 'HTTP 405 Method Not Allowed' : 'HTTP 404 Not Found',
    });
    return;
  }
  const [[, , need, handle], m] = match;
  if (!can[need]) {
    sendJson(res, 403, { error: 'HTTP 403 Forbidden' });
    return;
  }
  const params = (m as RegExpExecArray).slice(1).map((p) => decodeURIComponent(p));
  try {
    const input =
      method === 'POST' || method === 'PUT' || method === 'DELETE'
        ? await jsonBody(req)
        : undefined;
    const result = await handle(ctx, { req, res, params, query, can }, input);
    if (result === undefined) {
      res.writeHead(204, { 'cache-control': 'no-store' }).end();
    } else if (typeof result === 'object' && result !== null && 'created' in result) {
      res.setHeader(
        'location',
        `${ctx.url}${prefix}${rel}/${(result as { created: string }).created}`,
      );
      res.writeHead(201, { 'cache-control': 'no-store' }).end();
    } else {
      sendJson(res, 200, result);
    }
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    sendJson(res, error.status, ctx.legacyErrors ? legacyErrorBody(error.body) : error.body);
  }
}
