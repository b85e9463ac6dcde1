import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { scopeToAttribute } from '@todo-sso/auth';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { ownerRepository } from '../repositories/owners.js';
import { problems } from '../schemas/common.js';
import { Summary, SummaryQuery } from '../schemas/misc.js';
import { SECURED } from '../schemas/security.js';
import { principalOf } from './principal.js';

/**
 * `GET /reports/summary`: todo counts per state for a department. Attribute-based scoping on
 * top of the `reports:generate` permission: only the caller's own department, unless admin.
 */
export function reportRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const owners = ownerRepository(context.db);
  return async (app) => {
    app.get(
      '/reports/summary',
      {
        config: requires({ permission: 'reports:generate' }),
        schema: {
          tags: ['reports'],
          operationId: 'getReportSummary',
          description:
            "Counts of open and completed todos for one department. Needs `reports:generate`; without the admin role only your own department (`department` left out or equal to the token's), another is 403. The admin role may name any department, or none for all of them.",
          summary:
            'Todo counts per state for a department (yours unless you are admin; admins default to all)',
          security: SECURED,
          querystring: SummaryQuery,
          response: { 200: Summary, ...problems(400, 401, 403, 503) },
        },
      },
      async (request) => {
        // Non-admins: their own department only (403 otherwise); admins: any, or all of them.
        const department = scopeToAttribute(
          principalOf(request),
          'department',
          request.query.department,
        );
        return { department: department ?? null, ...(await owners.departmentCounts(department)) };
      },
    );
  };
}
