import type { FastifyRequest } from 'fastify';
import { isLoopbackAddress, isLoopbackHostname } from './loopback.js';

/**
 * The origin the request came to, when the API may take it for its own without configuration:
 * a connection from this machine (loopback peer), not forwarded by a proxy (the Host and the
 * protocol of the connection itself, not `X-Forwarded-*`), to a loopback host name or address
 * on the port the connection arrived at. That is `npm start` on a laptop
 * (`http://localhost:8000`, `http://127.0.0.1:8000`). Anything else, a proxy in front, a
 * container's published port, a host name, needs `API_PUBLIC_URL`: nothing a remote client
 * writes in `Host` or `X-Forwarded-Host` makes a URL of another server an accepted audience,
 * and the port check keeps out tokens for another loopback server of the same machine.
 */
export function loopbackOrigin(request: FastifyRequest): string | undefined {
  const { headers } = request;
  const host = headers.host;
  const { raw } = request;
  // Without a forwarding header, Fastify's host and protocol are the Host line and the
  // connection's own, so the answer depends on the Host and on the connection alone: remembered
  // per connection for its last Host. A request with either header (or without a Host, or whose
  // validated headers changed it) is worked out in full every time: a proxy's forwarded values
  // are never remembered.
  if (
    host === undefined ||
    host !== raw.headers.host ||
    headers['x-forwarded-host'] !== undefined ||
    headers['x-forwarded-proto'] !== undefined
  )
    return originOfRequest(request);
  const { socket } = raw;
  const memo = byConnection.get(socket);
  if (memo !== undefined && memo.host === host) return memo.origin;
  const origin = originOfRequest(request);
  byConnection.set(socket, { host, origin });
  return origin;
}

/**
 * Per connection, its last Host and the origin {@link originOfRequest} gave for it: the rest
 * of what decides the origin (the peer's address, the local port, TLS) is the connection's own
 * and does not change while it is open. Keyed by the exact Host, so one request's Host never
 * decides another's audience.
 */
const byConnection = new WeakMap<
  object,
  { readonly host: string; readonly origin: string | undefined }
>();

/** {@link loopbackOrigin} worked out from the request. */
function originOfRequest(request: FastifyRequest): string | undefined {
  const { socket } = request.raw;
  const host = request.headers.host;
  // A request a trusted proxy forwarded: Fastify's host or protocol are the forwarded ones.
  const protocol = (socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  if (host === undefined || request.host !== host || request.protocol !== protocol)
    return undefined;
  const facts = hostFacts(protocol, host);
  if (facts.origin === undefined || !isLoopbackPeer(socket.remoteAddress)) return undefined;
  // A real connection has a local port; an injected test request (light-my-request) has none.
  const { localPort } = socket;
  return localPort === undefined || localPort === facts.port ? facts.origin : undefined;
}

/** What a Host says: its origin as a client writes it when it is a loopback name, its port. */
interface HostFacts {
  readonly protocol: string;
  readonly host: string;
  /** WHATWG URL serialization (lower case, no default port); `undefined`: not loopback. */
  readonly origin: string | undefined;
  readonly port: number;
}

/**
 * The last protocol and host seen and what they say: clients of one deployment call one host,
 * so a request compares two short strings instead of building and parsing its URL.
 */
let lastHost: HostFacts = { protocol: '', host: '', origin: undefined, port: 0 };

function hostFacts(protocol: string, host: string): HostFacts {
  if (host === lastHost.host && protocol === lastHost.protocol) return lastHost;
  const base = `${protocol}://${host}`;
  const url = URL.canParse(base) ? new URL(base) : undefined;
  lastHost = {
    protocol,
    host,
    origin: url !== undefined && isLoopbackHostname(url.hostname) ? url.origin : undefined,
    port:
      url === undefined || url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port),
  };
  return lastHost;
}

/** The last peer address seen and whether it is loopback (one client, many requests). */
let lastPeer = '';
let lastPeerLoopback = false;

function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address !== lastPeer) {
    lastPeer = address;
    lastPeerLoopback = isLoopbackAddress(address);
  }
  return lastPeerLoopback;
}
