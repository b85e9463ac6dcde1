import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { PROBLEM_JSON, problem } from './problem.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** The security headers as header lines, written once. */
const HEADER_LINES = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/** A parse failure's answer: its status line and problem details, built once per kind. */
function answer(status: number, reason: string, body: object): string {
  const text = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${reason}\r\n${HEADER_LINES}` +
    `content-type: ${PROBLEM_JSON}\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
    // RFC 9112 §9.6: the server closes the connection after this answer, and says so.
    `connection: close\r\n\r\n${text}`
  );
}

// RFC 6585 §5: the header section (request line included, as Node counts it) is over the limit.
const HEADER_OVERFLOW = answer(
  431,
  'Request Header Fields Too Large',
  problem(
    'request_header_fields_too_large',
    'The request header section is larger than the server accepts',
  ),
);
// RFC 9110 §15.5.9: the request did not arrive in time.
const TIMEOUT = answer(
  408,
  'Request Timeout',
  problem('request_timeout', 'The request did not arrive in time'),
);
// Anything else the parser refuses: a broken request line or field, an invalid length, or
// `Transfer-Encoding` with `Content-Length` (RFC 9112 §6.3: a request that could be read two
// ways is refused and its connection closed, so nothing after it is read as another request).
const MALFORMED = answer(
  400,
  'Bad Request',
  problem('invalid_request', 'The request is not a well-formed HTTP/1.1 message (RFC 9112)'),
);

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refuses, before any route or hook,
 * answered like the API's other failures (problem details with the security headers,
 * `no-store` among them) instead of Fastify's plain JSON, then the connection closed.
 *
 * Only the error's code is logged: the error carries the bytes the parser read (`rawPacket`),
 * which hold the request's `Authorization` header, and a token must never reach a log.
 */
export function clientErrorHandler(
  this: { log: FastifyBaseLogger },
  error: Error & { code?: string },
  socket: Socket,
): void {
  // A connection reset: nothing to answer, the socket is gone.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ code: error.code }, 'request refused while parsing');
  // As Node does: no answer in the middle of a response already being written on this socket.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && pending?.headersSent !== true) {
    const text =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? HEADER_OVERFLOW
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? TIMEOUT
          : MALFORMED;
    // Closed once written: not left half-open for a client that keeps sending.
    socket.end(text, () => socket.destroy());
    return;
  }
  socket.destroy();
}
