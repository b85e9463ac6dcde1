import type { FastifyRequest } from 'fastify';

/**
 * Whether Fastify takes this request's `X-Forwarded-*` headers (its peer is a trusted proxy,
 * `trustProxy`): asked of Fastify's own `host` getter on a copy of the request that carries
 * only a marker `X-Forwarded-Host`, so the decision is exactly the one Fastify makes.
 */
function peerIsTrustedProxy(request: FastifyRequest): boolean {
  const probe = Object.create(Object.getPrototypeOf(request)) as { host?: string };
  Object.defineProperties(probe, {
    headers: { value: { 'x-forwarded-host': 'trusted.invalid' } },
    raw: { value: request.raw },
  });
  try {
    return probe.host === 'trusted.invalid';
  } catch {
    return false;
  }
}

function header(request: FastifyRequest, name: string): string[] {
  const value = request.headers[name];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined === undefined ? [] : joined.split(',').map((s) => s.trim());
}

/**
 * The entry of a forwarding header the outermost trusted proxy wrote: proxies append, so of `n`
 * entries the last `hops` come from trusted proxies, and the first of those carries what the
 * client sent to the edge; entries left of it are whatever the client wrote itself.
 */
function trustedEntry(entries: readonly string[], hops: number): string | undefined {
  if (entries.length === 0) return undefined;
  return entries[Math.max(0, entries.length - hops)];
}

const HOST_WITH_PORT = /^(?:\[[^\]]*\]|[^:]*):[0-9]*$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * The scheme and authority the client addressed (RFC 9110 §7.1 target URI), for RFC 9449 §4.3
 * step 9 (`htu`). Without a trusted proxy in front, Fastify's own protocol and `Host`. Behind
 * trusted proxies (`trustProxy`), `X-Forwarded-Proto` / `-Host` / `-Port` as the outermost
 * trusted proxy wrote them ({@link trustedEntry}); Fastify alone takes the last entry, which is
 * an inner proxy's when several append, and ignores `X-Forwarded-Port`. Forwarding headers from
 * an untrusted peer are never read.
 */
export function forwardedOrigin(request: FastifyRequest): string {
  const fastify = `${request.protocol}://${request.host}`;
  const forwarded = request.headers['x-forwarded-host'] ?? request.headers['x-forwarded-port'];
  if (forwarded === undefined && request.headers['x-forwarded-proto'] === undefined) return fastify;
  if (!peerIsTrustedProxy(request)) return fastify;
  const hops = Math.max(1, (request.ips?.length ?? 1) - 1);
  const protocol = trustedEntry(header(request, 'x-forwarded-proto'), hops) || request.protocol;
  let host = trustedEntry(header(request, 'x-forwarded-host'), hops) || request.host;
  const port = trustedEntry(header(request, 'x-forwarded-port'), hops);
  if (port !== undefined && PORT.test(port) && !HOST_WITH_PORT.test(host)) host = `${host}:${port}`;
  return `${protocol}://${host}`;
}
