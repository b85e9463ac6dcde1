import type { FastifyPluginAsync } from 'fastify';
import { adminIdpRoutes } from '../admin-idp/routes.js';
import { agentGrantEndRoutes } from '../agents/admin-routes.js';
import { agentRoutes } from '../agents/routes.js';
import { appEngineFactory, authzenPlugin } from '../authzen/plugin.js';
import type { AppContext } from '../context.js';
import { listMemberRoutes } from '../lists/member-routes.js';
import { listRoutes } from '../lists/routes.js';
import { todoRoutes } from '../todos/routes.js';
import { adminRoutes } from './admin.js';
import { meRoutes } from './me.js';
import { reportRoutes } from './reports.js';

/**
 * Every route behind authentication, each declaring its requirement beside it. One list, so
 * the app and the route catalogue (`authz/catalogue.ts`) cannot disagree.
 */
export function protectedRoutes(context: AppContext): readonly FastifyPluginAsync[] {
  return [
    todoRoutes(context),
    listRoutes(context),
    listMemberRoutes(context),
    meRoutes,
    agentRoutes(context),
    reportRoutes(context),
    adminRoutes(context),
    agentGrantEndRoutes(context),
    adminIdpRoutes(context),
    authzenPlugin(context, context.authzenEngine ?? appEngineFactory(context)),
  ];
}
