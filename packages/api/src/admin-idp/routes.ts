import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { adminWork } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { problems } from '../schemas/common.js';
import { adminWorkText, SECURED } from '../schemas/security.js';
import { changeAuditReadBack } from './change.js';
import { changeUser } from './change-user.js';
import { endSessions } from './end-sessions.js';
import { grantRole } from './grant-role.js';
import { removeRole } from './remove-role.js';
import { resetPassword } from './reset-password.js';
import {
  IdpRoleParams,
  IdpSessions,
  IdpUser,
  IdpUserGone,
  IdpUserList,
  IdpUserParams,
  IdpUserPatch,
  IdpUserQuery,
  NewIdpUserBody,
  PasswordSet,
  ResetPasswordBody,
  roleChangeText,
  SessionsEnded,
} from './schemas.js';

const TAGS = ['admin: identity provider'];
const READ_ERRORS = problems(400, 401, 403, 404, 501, 502, 503);
const WRITE_ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 501, 502, 503);

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/**
 * `/admin/idp/*`: people, roles and sessions at the identity provider, through its admin API
 * (the IdP stays the one source of truth; nothing about people is copied here). Every change
 * is audited with the admin who made it as soon as the IdP confirmed it, before it is read back.
 */
export function adminIdpRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    listUsersRoute(app, context);
    createUserRoute(app, context);
    updateUserRoute(app, context);
    for (const granted of [true, false]) roleRoute(app, context, granted);
    resetPasswordRoute(app, context);
    listSessionsRoute(app, context);
    endSessionsRoute(app, context);
  };
}

/** `GET /admin/idp/users`: the IdP's users, optionally searched, a page at a time. */
function listUsersRoute(app: App, context: AppContext): void {
  app.get(
    '/admin/idp/users',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'listIdpUsers',
        description: `The identity provider's users, optionally searched, with their roles and department, a page at a time: follow \`nextCursor\`. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
        summary: "The identity provider's users with their roles and department, a page at a time",
        security: SECURED,
        querystring: IdpUserQuery,
        response: { 200: IdpUserList, ...READ_ERRORS },
      },
    },
    async (request, reply) => {
      const { search, limit, cursor } = request.query;
      // The admin gone before the answer (a search replaced the list, the page was left): the
      // rest of the page's people are not read from the provider for nobody.
      const gone = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      return context.idpAdmin.require().listUsers(search, { limit, cursor, signal: gone.signal });
    },
  );
}

/** `POST /admin/idp/users`: a new user at the IdP. */
function createUserRoute(app: App, context: AppContext): void {
  app.post(
    '/admin/idp/users',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'createIdpUser',
        description: `Creates a user at the identity provider, optionally with a password and email (\`emailVerified\` needs \`email\`); a taken username is 409. Audited. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
        summary: 'Create a user at the identity provider (409 when the username is taken)',
        security: SECURED,
        body: NewIdpUserBody,
        response: { 201: Type.Union([IdpUser, IdpUserGone]), ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      const { username, email, emailVerified } = request.body;
      if (emailVerified === true && email === undefined)
        throw new ApiError('validation_failed', 'body.emailVerified needs body.email', {
          errors: [{ field: 'body.emailVerified', message: 'needs an email to verify' }],
        });
      const user = await changeAuditReadBack(context, request, {
        make: (service) => service.createUser(request.body),
        action: 'idp.user.create',
        detail: createdDetail(request.body),
        described: `The user ${username}`,
      });
      return reply.code(201).send(user);
    },
  );
}

/**
 * The audit detail of a new user: everything the admin said of them, as JSON (as a change's
 * detail is), the email's verification on the admin's word included, since sharing trusts it;
 * never the password.
 */
function createdDetail(body: Static<typeof NewIdpUserBody>): string {
  const { password: _secret, ...said } = body;
  return JSON.stringify(said);
}

/** `PATCH /admin/idp/users/{id}`: enabling, disabling, and the department. */
function updateUserRoute(app: App, context: AppContext): void {
  app.patch(
    '/admin/idp/users/:id',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'updateIdpUser',
        description: `Enables or disables a user, or sets or removes their department. Disabling also refuses their current tokens at the API on every instance, those of a person deleted at the provider meanwhile too. An unknown user is 404. Audited. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
        summary: 'Enable or disable a user, set or remove their department',
        security: SECURED,
        params: IdpUserParams,
        body: IdpUserPatch,
        response: { 200: Type.Union([IdpUser, IdpUserGone]), ...WRITE_ERRORS },
      },
    },
    async (request) => changeUser(context, request, request.params.id, request.body),
  );
}

/** `PUT` (granted) or `DELETE /admin/idp/users/{id}/roles/{role}`. */
function roleRoute(app: App, context: AppContext, granted: boolean): void {
  app.route({
    method: granted ? 'PUT' : 'DELETE',
    url: '/admin/idp/users/:id/roles/:role',
    config: adminWork(context.config.stepUp, { admin: true }),
    schema: {
      tags: TAGS,
      operationId: granted ? 'grantIdpRole' : 'removeIdpRole',
      ...roleChangeText(granted),
      security: SECURED,
      params: IdpRoleParams,
      response: { 200: Type.Union([IdpUser, IdpUserGone]), ...READ_ERRORS },
    },
    handler: async (request) => {
      const { id, role } = request.params as { id: string; role: string };
      // Removing refuses the person's tokens still carrying the role (remove-role.ts); granting
      // lifts an earlier removal (grant-role.ts).
      return granted
        ? grantRole(context, request, id, role)
        : removeRole(context, request, id, role);
    },
  });
}

/** `POST /admin/idp/users/{id}/reset-password`: a temporary password, sessions ended. */
function resetPasswordRoute(app: App, context: AppContext): void {
  app.post(
    '/admin/idp/users/:id/reset-password',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'resetIdpPassword',
        description: `Sets a temporary password the user must change at their next sign-in; the password is never in the audit record. An unknown user is 404. Audited. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
        summary:
          "Set a temporary password, to be changed at the next sign-in, and (unless `endSessions` is false) end the person's sessions and refuse their current tokens",
        security: SECURED,
        params: IdpUserParams,
        body: ResetPasswordBody,
        response: { 200: PasswordSet, ...WRITE_ERRORS },
      },
    },
    async (request) => resetPassword(context, request, request.params.id, request.body),
  );
}

/** `GET /admin/idp/users/{id}/sessions`: a user's sessions at the IdP. */
function listSessionsRoute(app: App, context: AppContext): void {
  app.get(
    '/admin/idp/users/:id/sessions',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'listIdpSessions',
        description: `A user's sessions at the identity provider: when each started and was last used, from which address, through which clients. An unknown user is 404. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
        summary: "A user's sessions at the identity provider",
        security: SECURED,
        params: IdpUserParams,
        response: { 200: IdpSessions, ...READ_ERRORS },
      },
    },
    async (request) => ({
      items: await context.idpAdmin.require().listSessions(request.params.id),
    }),
  );
}

/** `POST /admin/idp/users/{id}/logout`: ending a user's sessions at the IdP and the API. */
function endSessionsRoute(app: App, context: AppContext): void {
  app.post(
    '/admin/idp/users/:id/logout',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'endIdpSessions',
        description: `Ends every session of a user at the identity provider and refuses their current tokens at the API on every instance, whether or not the provider's back-channel logout reaches the API. An unknown user is 404. Audited. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
        summary:
          "End a user's sessions at the identity provider and refuse their tokens at the API",
        security: SECURED,
        params: IdpUserParams,
        response: { 200: SessionsEnded, ...READ_ERRORS },
      },
    },
    async (request) => {
      // The IdP's back-channel logout reaches the API too, but need not be configured or
      // delivered: refuse the person's current access tokens here, on every instance.
      const { stored, sessionsEnded, detail } = await endSessions(
        context,
        request,
        request.params.id,
      );
      return {
        identityProvider: { sessionsEnded, detail },
        revoked: stored.map((r) => ({ issuer: r.issuer, sub: r.value, notBefore: r.notBefore })),
      };
    },
  );
}
