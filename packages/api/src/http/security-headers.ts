import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * The response security headers of a JSON API, computed once. They are the values `helmet`
 * (v8 defaults) produces with `default-src 'none'` and `frame-ancestors 'none'` and no
 * `upgrade-insecure-requests`; set here as one constant because the plugin rebuilds its
 * middleware chain on every request (about 5 % of the CPU of a small request). The docs pages
 * set their own `Content-Security-Policy` and `Cross-Origin-Opener-Policy` afterwards, which
 * replace these (`plugins/docs-ui.ts`). `Cache-Control: no-store` is not helmet's but belongs with
 * them: a route whose answer is the same for everyone (discovery metadata) replaces it.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // RFC 9111 §5.2.2.5: no cache keeps a response unless its route says otherwise. What the API
  // answers behind a token is one person's data, or a verdict on their token, whatever the
  // status (a 404 or 412 too); the public discovery documents set their own lifetime.
  'cache-control': 'no-store',
  // A JSON API loads nothing; `frame-ancestors 'none'` forbids framing (CSP Level 3 §6.4.2).
  'content-security-policy':
    "default-src 'none';base-uri 'self';font-src 'self' https: data:;form-action 'self';" +
    "frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';" +
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  // RFC 6797 §6.1: one year, subdomains included.
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

/** An `onRequest` hook (callback style: no promise per request) setting {@link SECURITY_HEADERS}. */
export function setSecurityHeaders(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  reply.headers(SECURITY_HEADERS);
  done();
}
