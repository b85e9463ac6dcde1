import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * A new object holding the response security headers of a JSON API, written out as one literal
 * so that each reply's header object starts with them as its own fast properties (see
 * {@link setSecurityHeaders}). They are the values `helmet` (v8 defaults) produces with
 * `default-src 'none'` and `frame-ancestors 'none'` and no `upgrade-insecure-requests`; set here
 * as one constant because the plugin rebuilds its middleware chain on every request (about 5 % of
 * the CPU of a small request). The docs pages set their own `Content-Security-Policy` and
 * `Cross-Origin-Opener-Policy` afterwards, which replace these (`plugins/docs-ui.ts`).
 * `Cache-Control: no-store` is not helmet's but belongs with them: a route whose answer is the
 * same for everyone (discovery metadata) replaces it.
 */
function securityHeaders(): Record<string, string> {
  return {
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
  };
}

/** The response security headers of a JSON API ({@link securityHeaders}), computed once. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(securityHeaders());

/** Fastify's own key of a reply's header object (`Symbol('fastify.reply.headers')`). */
const HEADERS_DESCRIPTION = 'fastify.reply.headers';
/** That key once found on a reply; null when this Fastify keeps its headers otherwise. */
let headersKey: symbol | null | undefined;

function headerObjectKey(reply: FastifyReply): symbol | null {
  headersKey ??=
    Object.getOwnPropertySymbols(reply).find((s) => s.description === HEADERS_DESCRIPTION) ?? null;
  return headersKey;
}

/**
 * The reply's own header object, where Fastify's `reply.header` stores each header under its
 * lower-cased name; undefined when this Fastify keeps its headers under another key. For hooks
 * that set headers of constant lower-case names on every request without lower-casing them
 * again (`reply.header` lower-cases every name it is given).
 */
export function headerObjectOf(reply: FastifyReply): Record<string, unknown> | undefined {
  const key = headerObjectKey(reply);
  if (key === null) return undefined;
  const headers = (reply as unknown as Record<symbol, unknown>)[key];
  return typeof headers === 'object' && headers !== null
    ? (headers as Record<string, unknown>)
    : undefined;
}

function isEmptyHeaderObject(headers: unknown): headers is Record<string, unknown> {
  if (typeof headers !== 'object' || headers === null) return false;
  for (const _ in headers) return false;
  return true;
}

/**
 * An `onRequest` hook (callback style: no promise per request) setting {@link SECURITY_HEADERS}.
 *
 * A reply that has no header yet gets a new {@link securityHeaders} object as its header object,
 * the same headers in the same order as setting them one by one. Set one by one (`reply.header`,
 * a store under a computed name each), an object that already holds the 13 takes about 7 more
 * before V8 turns it into a hash table, and a response of a protected route has 21 (the rate
 * limit's three, CORS's two, the request id, the content type and length): V8 rebuilt the object
 * as a hash table on every such request, and every later read of it (Node writing the header
 * section) went through the slow path. A literal keeps its 13 fields in the object itself, and
 * room for 13 more. Should a Fastify release keep its headers under another key, or a reply
 * already hold a header, they are set one by one as before.
 */
export function setSecurityHeaders(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const key = headerObjectKey(reply);
  const holder = reply as unknown as Record<symbol, unknown>;
  if (key !== null && isEmptyHeaderObject(holder[key])) holder[key] = securityHeaders();
  else reply.headers(SECURITY_HEADERS);
  done();
}
