import Fastify from 'fastify';
import type { AppContext } from '../context.js';
import { protectedRoutes } from '../routes/protected.js';
import type { RoutePolicy } from './requirement.js';

/**
 * A context that is never used: route plugins only capture it for their handlers, which the
 * catalogue never calls. Every property read gives the same inert value.
 */
function inertContext(): AppContext {
  const inert: object = new Proxy(() => inert, {
    get: (_target, key) => (key === 'then' ? undefined : inert),
    apply: () => inert,
  });
  return inert as AppContext;
}

/**
 * Every protected route (`METHOD /path`, as registered) with the requirement it declares
 * beside itself, read by registering the route plugins on a bare Fastify instance. For tests
 * and documentation that enumerate routes: the declarations stay the one source.
 *
 * @example
 * ```ts
 * const routes = await routePolicies(); // { 'GET /todos/': { permission: 'todos:read' }, … }
 * ```
 */
export async function routePolicies(): Promise<Readonly<Record<string, RoutePolicy>>> {
  const app = Fastify();
  // Handlers are never called and schemas never compiled: only the declarations are read.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const found: Record<string, RoutePolicy> = {};
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      found[`${method} ${route.url}`] = (route.config as { auth?: RoutePolicy }).auth ?? {};
    }
  });
  for (const plugin of protectedRoutes(inertContext())) await app.register(plugin);
  await app.close();
  return Object.freeze(found);
}
