import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../config/config.js';
import { loopbackOrigin } from './loopback-origin.js';

/**
 * With `API_PUBLIC_URL` set, the first request that a proxy on this machine forwarded with a
 * loopback `Host` (`Host: 127.0.0.1:8000`, nginx's default for `proxy_pass`) and no
 * `X-Forwarded-Host` logs one warning. Such a request is taken for a direct local one (its
 * base is the loopback address it came to, `loopback-origin.ts`), so a DPoP proof naming the
 * public URL the client used is refused (RFC 9449 §4.3 step 9, `htu`), which nothing else
 * explains. Recognised by `X-Forwarded-For` (a proxy appended it) on a request the API reads as
 * local. Only a warning: what is accepted and refused does not change. No header value is
 * logged, only the peer's address.
 */
export function warnOnLoopbackHostBehindProxy(app: FastifyInstance, config: ApiConfig): void {
  const { publicUrl } = config;
  if (publicUrl === undefined) return;
  let warned = false;
  app.addHook('onRequest', (request, _reply, done) => {
    if (!warned && request.headers['x-forwarded-for'] !== undefined) {
      const local = loopbackOrigin(request);
      if (local !== undefined && local !== publicUrl) {
        warned = true;
        request.log.warn(
          { peer: request.socket.remoteAddress, origin: local },
          `a proxy forwarded a request to ${local} with a loopback Host and no X-Forwarded-Host, so the API takes it for a direct local request: DPoP proofs naming API_PUBLIC_URL (${publicUrl}) are refused. Make the proxy send the public host: with nginx, proxy_set_header Host $host; and proxy_set_header X-Forwarded-Proto $scheme; (or X-Forwarded-Host $host). Logged once.`,
        );
      }
    }
    done();
  });
}
