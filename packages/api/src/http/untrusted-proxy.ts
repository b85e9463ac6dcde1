import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../config/config.js';

/** Headers a reverse proxy adds (RFC 7239 `Forwarded`, and the de facto `X-Forwarded-*`). */
const FORWARDING_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
];

/**
 * With `TRUST_PROXY` unset, a request that arrives with forwarding headers logs one warning per
 * process. Behind a reverse proxy that is a setup error which nothing else reports: every client
 * counts as the proxy's address (one shared per-address limit, the proxy in every request line),
 * and the URL the API sees is the proxy's plain-http hop, so a DPoP proof naming the https URL the
 * client used is refused (RFC 9449 §4.3 step 9, `htu`). Without a proxy the headers came from the
 * client and are ignored, as they should be: the warning says so too. Only the peer's address is
 * logged, never a header's value.
 */
export function warnOnUntrustedProxy(app: FastifyInstance, config: ApiConfig): void {
  if (config.trustProxy !== false) return;
  let warned = false;
  app.addHook('onRequest', (request, _reply, done) => {
    if (!warned) {
      const header = FORWARDING_HEADERS.find((name) => request.headers[name] !== undefined);
      if (header !== undefined) {
        warned = true;
        request.log.warn(
          { peer: request.socket.remoteAddress, header },
          `a request arrived with ${header} but TRUST_PROXY is not set, so the API ignores it: behind a reverse proxy every client then counts as the proxy's address (one shared per-address rate limit, the proxy in every request line) and DPoP proofs for the public https URL are refused; set TRUST_PROXY to the number of proxies in front of the API (usually 1) or their addresses. Without a proxy the client wrote the header itself: leave TRUST_PROXY unset. Logged once.`,
        );
      }
    }
    done();
  });
}
