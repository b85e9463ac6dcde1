import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAuthError } from '../errors.js';
import {
  type AuthErrorResponseOptions,
  authErrorResponse,
  credentialScheme,
} from '../http/error-response.js';

/** A Fastify error handler. */
export type AuthErrorHandler = (
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply;

/** Options of {@link createAuthErrorHandler}. */
export interface AuthErrorHandlerOptions
  extends Omit<AuthErrorResponseOptions, 'resourceMetadata' | 'scheme'> {
  /**
   * The protected resource metadata URL (RFC 9728 §3) put in every challenge (§5.1), or a
   * function of the request when it depends on the path or the host the client used.
   */
  resourceMetadata?: string | ((request: FastifyRequest) => string | undefined);
}

/**
 * A ready-made Fastify error handler for apps that have no error handler of their own: auth
 * failures become RFC 6750 / RFC 9457 responses via `authErrorResponse` (with `options`, e.g.
 * the DPoP algorithms to advertise), anything else goes to Fastify's default handling. The
 * reason code is logged, never the token.
 *
 * @example
 * ```ts
 * app.setErrorHandler(
 *   createAuthErrorHandler({
 *     dpopAlgorithms: authenticator.dpopAlgorithms,
 *     resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource',
 *   }),
 * );
 * ```
 */
export function createAuthErrorHandler(options: AuthErrorHandlerOptions = {}): AuthErrorHandler {
  const { resourceMetadata, ...rest } = options;
  return (error, request, reply) => {
    if (isAuthError(error)) {
      const metadata =
        typeof resourceMetadata === 'function' ? resourceMetadata(request) : resourceMetadata;
      const { status, headers, body } = authErrorResponse(error, {
        ...rest,
        ...(metadata !== undefined && { resourceMetadata: metadata }),
        scheme: credentialScheme(request.headers.authorization),
      });
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
