/**
 * `@todo-sso/auth/fastify`: the Fastify plugin, its route options and a standalone error handler.
 *
 * @packageDocumentation
 */
export type { Credentials } from './bearer.js';
export { readBearerToken, readCredentials } from './bearer.js';
export type { AuthErrorHandler, AuthErrorHandlerOptions } from './error-handler.js';
export { authErrorHandler, createAuthErrorHandler } from './error-handler.js';
export type { AuthPluginOptions, RouteAuthConfig } from './plugin.js';
export { authPlugin } from './plugin.js';
export type { RouteConfig } from './route-config.js';
export { routeConfigOf, routeUrlOf } from './route-config.js';
