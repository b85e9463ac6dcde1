import type { FastifyInstance } from 'fastify';

/** One registered route: `METHOD /path` with Fastify's `:param` syntax, no trailing slash. */
export interface RegisteredRoute {
  readonly method: string;
  readonly path: string;
}

/** A route key without its trailing slash (the app runs with `ignoreTrailingSlash`). */
export function normalize(key: string): string {
  const [method = '', path = ''] = key.split(' ');
  return `${method} ${path.length > 1 ? path.replace(/\/$/, '') : path}`;
}

/**
 * Every route the app really registered, read from Fastify's own route tree
 * (`printRoutes({ commonPrefix: false })`): each line is a segment appended to its parent's.
 * Independent of the OpenAPI document, so a hidden route is found too.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2] ?? '');
    const path = stack.join('') || '/';
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim())) {
      if (method === '' || method === 'HEAD' || method === 'OPTIONS') continue;
      routes.push({ method, path: path.length > 1 ? path.replace(/\/$/, '') : path });
    }
  }
  return routes;
}
