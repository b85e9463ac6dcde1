import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { endIdpSessions } from '../admin-idp/end-sessions.js';
import { writeAndAudit } from '../audit/write-and-audit.js';
import { adminWork } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/database.js';
import { ApiError } from '../http/problem.js';
import { auditRepository } from '../repositories/audit.js';
import { ownerRepository } from '../repositories/owners.js';
import {
  AdminTodoPage,
  AdminTodoQuery,
  AuditPage,
  AuditQuery,
  OwnerList,
  RevokeBody,
  RevokeResult,
} from '../schemas/admin.js';
import { problems } from '../schemas/common.js';
import { adminWorkText, SECURED } from '../schemas/security.js';
import { todoRepository } from '../todos/repository.js';
import { principalOf, profileOf } from './principal.js';

const TAGS = ['admin'];

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** `/admin/*`: every owner, every todo, the audit log, and revoking a subject's tokens. */
export function adminRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const repositories = adminRepositories(context.db);

  return async (app) => {
    ownersRoute(app, context, repositories);
    allTodosRoute(app, context, repositories);
    auditRoute(app, context, repositories);
    revokeRoute(app, context);
  };
}

/** What the admin routes read. */
function adminRepositories(db: Db) {
  return { owners: ownerRepository(db), todos: todoRepository(db), audit: auditRepository(db) };
}
type Repositories = ReturnType<typeof adminRepositories>;

/** `GET /admin/users`: every owner with their todo counts. */
function ownersRoute(app: App, context: AppContext, { owners }: Repositories): void {
  app.get(
    '/admin/users',
    {
      config: adminWork(context.config.stepUp, { permission: 'users:manage' }),
      schema: {
        tags: TAGS,
        operationId: 'listOwners',
        description: `Every person who owns todos, with their open and completed counts. ${adminWorkText('`users:manage` (the admin role holds it)')}`,
        summary: 'Every todo owner with todo counts',
        security: SECURED,
        response: { 200: OwnerList, ...problems(401, 403, 503) },
      },
    },
    async () => ({ items: await owners.summaries() }),
  );
}

/** `GET /admin/todos`: every todo, a page at a time, optionally filtered. */
function allTodosRoute(app: App, context: AppContext, { todos }: Repositories): void {
  app.get(
    '/admin/todos',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'listAllTodos',
        description: `Every person's todos, newest first, a page at a time; \`owner\` (with \`issuer\`) and \`completed\` narrow it. ${adminWorkText()}`,
        summary: 'All todos, newest first, optionally one owner’s',
        security: SECURED,
        querystring: AdminTodoQuery,
        response: { 200: AdminTodoPage, ...problems(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const { owner, issuer, completed, limit = 20, cursor } = request.query;
      return todos.listAll({
        limit,
        ...(owner !== undefined && { owner }),
        ...(issuer !== undefined && { issuer }),
        ...(completed !== undefined && { completed }),
        ...(cursor !== undefined && { cursor }),
      });
    },
  );
}

/** `GET /admin/audit`: the audit log, a page at a time. */
function auditRoute(app: App, context: AppContext, { audit }: Repositories): void {
  app.get(
    '/admin/audit',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'listAuditLog',
        description: `The audit log, newest first, a page at a time: every write with who made it, and every authorization denial. ${adminWorkText()}`,
        summary: 'The audit log: every write and authorization denial, newest first',
        security: SECURED,
        querystring: AuditQuery,
        response: { 200: AuditPage, ...problems(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const { limit = 20, cursor } = request.query;
      return audit.list({ limit, ...(cursor !== undefined && { cursor }) });
    },
  );
}

/** `POST /admin/sessions/revoke`: refusing a subject's tokens, then ending their IdP sessions. */
function revokeRoute(app: App, context: AppContext): void {
  const { db, clock, revocations, config, metrics, idpAdmin } = context;
  app.post(
    '/admin/sessions/revoke',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'revokeSubject',
        description: `Refuses every token of \`sub\` issued until now, at \`issuer\` or at every trusted issuer, on every API instance (an issuer not trusted is 400), then asks the identity provider to end their sessions where its admin API is configured; the answer says what the provider did. Audited. ${adminWorkText()}`,
        summary:
          'Refuse every token of a subject issued until now, on every API instance, and end their sessions at the identity provider where its admin API allows',
        security: SECURED,
        body: RevokeBody,
        response: { 200: RevokeResult, ...problems(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request) => {
      const { sub, issuer } = request.body;
      const trusted = config.issuers.map((i) => i.issuer);
      if (issuer !== undefined && !trusted.includes(issuer)) {
        throw new ApiError('validation_failed', 'body.issuer is not a trusted issuer', {
          errors: [{ field: 'body.issuer', message: 'is not a trusted issuer' }],
        });
      }
      // Every issuer's revocation and the audit record commit together or not at all; the
      // administrator's profile too, so the audit log shows who revoked.
      const record = {
        actor: profileOf(principalOf(request)),
        action: 'session.revoke',
        resource: `subject:${sub}`,
        requestId: request.id,
        at: clock.now(),
      };
      const stored = await revocations.revokeSubjectAt(
        issuer === undefined ? trusted : [issuer],
        sub,
        (save) => writeAndAudit(db, record, save),
      );
      metrics.revocations.inc({ kind: 'subject', source: 'admin' }, stored.length);
      // Then the person's sessions at the IdP, so a refresh token cannot bring them back.
      const identityProvider = await endIdpSessions(
        idpAdmin,
        stored.map((r) => r.issuer),
        sub,
      );
      return {
        revoked: stored.map((r) => ({ issuer: r.issuer, sub: r.value, notBefore: r.notBefore })),
        identityProvider,
      };
    },
  );
}
