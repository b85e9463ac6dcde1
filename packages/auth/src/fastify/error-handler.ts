import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAuthError } from '../errors.js';
import { type AuthErrorResponseOptions, authErrorResponse } from '../http/error-response.js';

/** A Fastify error handler. */
export type AuthErrorHandler = (
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply;

/**
 * A ready-made Fastify error handler for apps that have no error handler of their own: auth
 * failures become RFC 6750 / RFC 9457 responses via `authErrorResponse` (with `options`, e.g.
 * the DPoP algorithms to advertise), anything else goes to Fastify's default handling. The
 * reason code is logged, never the token.
 *
 * @example
 * ```ts
 * app.setErrorHandler(createAuthErrorHandler({ dpopAlgorithms: authenticator.dpopAlgorithms }));
 * ```
 */
export function createAuthErrorHandler(options: AuthErrorResponseOptions = {}): AuthErrorHandler {
  return (error, request, reply) => {
    if (isAuthError(error)) {
      const { status, headers, body } = authErrorResponse(error, options);
      request.log.info({ code: error.code, status }, 'authentication or authorization failed');
      return reply.code(status).headers(headers).send(body);
    }
    return reply.send(error);
  };
}

/**
 * {@link createAuthErrorHandler} with the default options.
 *
 * @example
 * ```ts
 * app.setErrorHandler(authErrorHandler);
 * ```
 */
export const authErrorHandler: AuthErrorHandler = createAuthErrorHandler();
