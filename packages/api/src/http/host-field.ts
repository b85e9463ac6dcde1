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
 * The request's Host field lines (RFC 9112 §3.2), counted from the raw header list: Node keeps
 * only the first of two Host lines, so `request.headers.host` cannot tell them apart.
 */
function hostValues(rawHeaders: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name?.length === 4 && name.toLowerCase() === 'host') values.push(rawHeaders[i + 1] ?? '');
  }
  return values;
}

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
  const refusal = hostRefusal(request.raw.rawHeaders, request.raw.httpVersion);
  done(refusal === undefined ? undefined : new ApiError('invalid_request', refusal));
}

/** Why the request's Host lines are refused, or `undefined` when they are fine. */
function hostRefusal(rawHeaders: readonly string[], httpVersion: string): string | undefined {
  const hosts = hostValues(rawHeaders);
  const [host] = hosts;
  if (hosts.length > 1) return 'The request has more than one Host field';
  if (host === undefined)
    return httpVersion === '1.0' ? undefined : 'An HTTP/1.1 request needs a Host field';
  return HOST_VALUE.test(host) ? undefined : 'The Host field is not a valid host and port';
}
