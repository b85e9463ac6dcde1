import { createServer, type Server } from 'node:http';

/**
 * How long a request has to arrive whole, header section and body: a slower one (a form
 * trickled a byte at a time) is answered 408 (RFC 9110 §15.5.9) and its connection closed.
 * Node's own default was 300 s, enough for a few hundred slow connections to hold the IdP.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A connection serving a request with nothing moving either way this long is destroyed. */
const CONNECTION_TIMEOUT_MS = 60_000;

/** The HTTP server with its time bounds; checked every second, not Node's 30 s. */
export function boundedServer(requestTimeoutMs: number): Server {
  const server = createServer({
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  });
  server.setTimeout(Math.max(CONNECTION_TIMEOUT_MS, requestTimeoutMs));
  return server;
}
