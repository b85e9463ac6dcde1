import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { endIdpSessions } from '../admin-idp/end-sessions.js';
import { writeAndAudit } from '../audit/write-and-audit.js';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
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
import { SECURED } from '../schemas/security.js';
import { todoRepository } from '../todos/repository.js';
import { principalOf, profileOf } from './principal.js';

const TAGS = ['admin'];

/** `/admin/*`: every owner, every todo, the audit log, and revoking a subject's tokens. */
export function adminRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { db, clock, revocations, config, metrics, idpAdmin } = context;
  // Admin work needs a strong, recent sign-in (RFC 9470): STEP_UP_ACR within
  // STEP_UP_MAX_AGE_SECONDS; nothing more when step-up is turned off.
  const stepUp = config.stepUp;
  const owners = ownerRepository(db);
  const todos = todoRepository(db);
  const audit = auditRepository(db);

  return async (app) => {
    app.get(
      '/admin/users',
      {
        config: requires({ permission: 'users:manage', ...stepUp }),
        schema: {
          tags: TAGS,
          operationId: 'listOwners',
          summary: 'Every todo owner with todo counts',
          security: SECURED,
          response: { 200: OwnerList, ...problems(401, 403, 503) },
        },
      },
      async () => ({ items: await owners.summaries() }),
    );

    app.get(
      '/admin/todos',
      {
        config: requires({ admin: true, ...stepUp }),
        schema: {
          tags: TAGS,
          operationId: 'listAllTodos',
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

    app.get(
      '/admin/audit',
      {
        config: requires({ admin: true, ...stepUp }),
        schema: {
          tags: TAGS,
          operationId: 'listAuditLog',
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

    app.post(
      '/admin/sessions/revoke',
      {
        config: requires({ admin: true, ...stepUp }),
        schema: {
          tags: TAGS,
          operationId: 'revokeSubject',
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
  };
}
