/**
 * `@todo-sso/auth/fastify`: the Fastify plugin, its route options and a standalone error handler.
 *
 * @packageDocumentation
 */
export { readBearerToken } from './bearer.js';
export { authErrorHandler } from './error-handler.js';
export type { AuthPluginOptions, RouteAuthConfig } from './plugin.js';
export { authPlugin } from './plugin.js';
