import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAuthError } from '../errors.js';
import { authErrorResponse } from '../http/error-response.js';

/**
 * A ready-made Fastify error handler for apps that have no error handler of their own: auth
 * failures become RFC 6750 / RFC 9457 responses via `authErrorResponse`, anything else goes to
 * Fastify's default handling. The reason code is logged, never the token.
 *
 * @example
 * ```ts
 * app.setErrorHandler(authErrorHandler);
 * ```
 */
export function authErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isAuthError(error)) {
    const { status, headers, body } = authErrorResponse(error);
    request.log.info({ code: error.code, status }, 'authentication or authorization failed');
    return reply.code(status).headers(headers).send(body);
  }
  return reply.send(error);
}
