/**
 * The methods each route path answers, so that a request to a known path with another method is
 * told apart from an unknown path: 405 with `Allow` (RFC 9110 §15.5.6) rather than 404.
 *
 * Fastify's router answers a concrete URL for one method only; this keeps the route patterns
 * seen at registration (`/todos/:id`) as anchored expressions. OPTIONS is left out (the CORS
 * preflight route matches every path), and so are catch-all patterns.
 */
export class RouteMethods {
  readonly #routes: { pattern: RegExp; methods: Set<string> }[] = [];

  /** Records a route as Fastify's `onRoute` hook describes it. */
  add(url: string, method: string | readonly string[]): void {
    if (url === '*' || url === '/*') return;
    const methods = (Array.isArray(method) ? method : [method]).filter((m) => m !== 'OPTIONS');
    if (methods.length === 0) return;
    const pattern = toPattern(url);
    const known = this.#routes.find((r) => r.pattern.source === pattern.source);
    if (known) for (const m of methods) known.methods.add(m);
    else this.#routes.push({ pattern, methods: new Set(methods) });
  }

  /** The methods the path answers, sorted; empty when no route has this path. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) {
      if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    }
    return [...methods].sort();
  }
}

/** `/todos/:id` → `^/todos/[^/]+/?$`; a trailing `*` matches the rest of the path. */
function toPattern(url: string): RegExp {
  const body = url
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${body}/?$`);
}
