import type { FastifyRequest } from 'fastify';
import type { RouteAuthConfig } from './options.js';

/** Fastify's own key of a request's route context (`Symbol('fastify.context')`). */
const ROUTE_CONTEXT = 'fastify.context';
/** That key, once found and checked; null when this Fastify keeps the route's config otherwise. */
let routeContextKey: symbol | null | undefined;

/** What a route's `config` holds for its readers here: its pattern, and its requirement. */
export interface RouteConfig {
  /** The route's pattern (`/todos/:id`), as `request.routeOptions.url` gives it. */
  readonly url?: string;
  readonly auth?: RouteAuthConfig;
}

interface RouteContext {
  readonly config?: RouteConfig;
}

/**
 * The route's `config` (its pattern `url`, its `auth` requirement), as
 * `request.routeOptions.config` gives it, without that getter's new frozen object of 12 fields
 * on each request: read from the route context Fastify keeps on the request. The key is taken
 * only if, on the first request, it gives the very object `routeOptions.config` does and the
 * same `url` as `routeOptions.url`; otherwise (another Fastify) every request reads
 * `routeOptions`, so the requirement and the pattern are never read from anything else.
 */
export function routeConfigOf(request: FastifyRequest): RouteConfig | undefined {
  if (routeContextKey === undefined) {
    const key = Object.getOwnPropertySymbols(request).find((s) => s.description === ROUTE_CONTEXT);
    const { config, url } = request.routeOptions as { config?: RouteConfig; url?: string };
    const context =
      key === undefined
        ? undefined
        : (request as unknown as Record<symbol, RouteContext | undefined>)[key];
    routeContextKey =
      key !== undefined && context?.config === config && config?.url === url ? key : null;
    return config;
  }
  if (routeContextKey === null) return request.routeOptions.config as RouteConfig | undefined;
  const context = (request as unknown as Record<symbol, RouteContext | undefined>)[routeContextKey];
  return context !== undefined
    ? context.config
    : (request.routeOptions.config as RouteConfig | undefined);
}

/** The route's pattern (`request.routeOptions.url`) by {@link routeConfigOf}; undefined: none. */
export function routeUrlOf(request: FastifyRequest): string | undefined {
  const config = routeConfigOf(request);
  return routeContextKey === null ? request.routeOptions.url : config?.url;
}
