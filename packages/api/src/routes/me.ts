import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Principal } from '@todo-sso/auth';
import { PERMISSIONS } from '../authz/permissions.js';
import { requires } from '../authz/requirement.js';
import { problems } from '../schemas/common.js';
import { Me } from '../schemas/misc.js';
import { SECURED } from '../schemas/security.js';
import { attribute, principalOf } from './principal.js';

/** `GET /me`: who the token says the caller is; any valid token. */
export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/me',
    {
      config: requires({}),
      schema: {
        tags: ['me'],
        operationId: 'getMe',
        description:
          "Who the access token says you are: subject, issuer, username, email, name, roles, the API's permissions you hold, department, whether you are an administrator and, when the token carries them, `acr`, `amr` and `authTime`. Any valid token for the API; nothing is stored.",
        summary: 'The caller, as the access token describes them',
        security: SECURED,
        response: { 200: Me, ...problems(401, 503) },
      },
    },
    // Synchronous: nothing here waits, so no promise per request.
    (request, reply) => {
      const p = principalOf(request);
      let body = bodies.get(p);
      if (body === undefined) {
        body = reply.serialize(meOf(p)) as string;
        // Kept from the token's second request on: a token verified for this very request is
        // most often never sent again, and its body would only be one more weak entry and
        // string for the collector to carry until the principal leaves the cache.
        if (!request.verifiedNow) bodies.set(p, body);
      }
      // Already serialised by the route's schema: sent as is.
      reply.type(JSON_UTF8).send(body);
    },
  );
};

/** The content type Fastify gives a serialised object. */
const JSON_UTF8 = 'application/json; charset=utf-8';

/**
 * Each principal's `/me` body, serialised once it is asked for again: the body is a function of
 * the principal alone (the permission table is fixed at start-up) and a principal is frozen, so
 * a cached token's requests reuse the same bytes. A principal no longer cached takes its body
 * with it.
 */
const bodies = new WeakMap<Principal, string>();

/** The API's own permissions of a list: the list itself when it holds no other (the usual case). */
function apiPermissions(permissions: readonly string[]): readonly string[] {
  for (const x of permissions)
    if (!PERMISSIONS.has(x)) return permissions.filter((y) => PERMISSIONS.has(y));
  return permissions;
}

/**
 * The `/me` body of a principal, serialised by the route's schema. The principal's frozen lists
 * serve as they are (the serialiser only reads them), and `acr`, `amr` and `authTime` are left
 * undefined when the token does not carry them: the serialiser writes no optional property
 * whose value is undefined. A token's first request serialises it, so no copies are made.
 */
function meOf(p: Principal) {
  return {
    sub: p.subject,
    issuer: p.issuer,
    username: p.username ?? null,
    email: p.email ?? null,
    name: p.name ?? null,
    roles: p.roles,
    // The API's own vocabulary only: a flat `groups` claim (Authentik) also carries roles.
    permissions: apiPermissions(p.permissions),
    department: attribute(p, 'department'),
    isAdmin: p.isAdmin,
    // Present only when the token says (RFC 9470 step-up reads them).
    acr: p.acr,
    amr: p.amr,
    authTime: p.authTime,
  };
}
