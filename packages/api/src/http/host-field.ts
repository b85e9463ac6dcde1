import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError } from './problem.js';

/**
 * A Host value as RFC 9110 §7.2 allows it: `uri-host [ ":" port ]` (RFC 3986 §3.2.2), the host an
 * IP literal in brackets or a name of unreserved, sub-delims and percent-encoded octets. No
 * user information, path, space or second port.
 */
const HOST_VALUE =
  /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::[0-9]*)?$/;

/**
 * How many Host field lines the request has (RFC 9112 §3.2), counted from the raw header list:
 * Node keeps only the first of two Host lines, so `request.headers.host` cannot tell them apart.
 * The two usual spellings are matched before lower-casing a name of four characters.
 */
function hostLines(rawHeaders: readonly string[]): number {
  let lines = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name?.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host'))
      lines += 1;
  }
  return lines;
}

/** The last Host value found valid: clients of one deployment send the same one every time. */
let lastValidHost: string | undefined;

/**
 * An `onRequest` hook (callback style) enforcing RFC 9112 §3.2: "A server MUST respond with a
 * 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field
 * and to any request message that contains more than one Host header field line or a Host
 * header field with an invalid field value." The API builds the URI a DPoP proof is checked
 * against (RFC 9449 §4.3) and, without `API_PUBLIC_URL`, its resource identifier from Host: a
 * proxy in front reading the other of two lines would be checking another request than the one
 * served here. Node's own check (`requireHostHeader`) is turned off in `app.ts` so that a missing
 * Host is answered here, with problem details, like the rest.
 */
export function requireOneHost(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const refusal = hostRefusal(
    request.raw.rawHeaders,
    request.raw.httpVersion,
    request.headers.host,
  );
  done(refusal === undefined ? undefined : new ApiError('invalid_request', refusal));
}

/** Why the request's Host lines are refused, or `undefined` when they are fine. */
function hostRefusal(
  rawHeaders: readonly string[],
  httpVersion: string,
  effective: string | undefined,
): string | undefined {
  const hosts = hostLines(rawHeaders);
  if (hosts > 1) return 'The request has more than one Host field';
  if (hosts === 0 && httpVersion !== '1.0') return 'An HTTP/1.1 request needs a Host field';
  // The Host line, or the authority of an absolute-form target ({@link originForm}).
  if (effective === undefined || effective === lastValidHost) return undefined;
  if (!HOST_VALUE.test(effective)) return 'The Host field is not a valid host and port';
  lastValidHost = effective;
  return undefined;
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is;

/**
 * Fastify's `rewriteUrl`, before routing: an absolute-form request target (RFC 9112 §3.2.2,
 * `GET http://api.example/me`) is served as its origin form (`/me`) with its authority as the
 * request's host, since "the origin server MUST ignore the received Host header field (if any)
 * and instead use the host information of the request-target" (§3.3: the target URI is the
 * request target). The DPoP `htu` check and the accepted audiences then name the host the
 * request was for. An origin-form target, the usual one, is returned as it is.
 */
export function originForm(request: IncomingMessage): string {
  const url = request.url ?? '/';
  if (url.charCodeAt(0) === 0x2f) return url;
  const absolute = ABSOLUTE_FORM.exec(url);
  // `*` and the authority form: left to the router, which has no route for them.
  if (absolute === null) return url;
  request.headers.host = absolute[1] ?? '';
  const rest = absolute[2] ?? '';
  return rest.charCodeAt(0) === 0x2f ? rest : `/${rest}`;
}
