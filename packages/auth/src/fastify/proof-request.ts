import type { FastifyRequest } from 'fastify';
import type { ProofRequest } from '../dpop/sender.js';
import type { Credentials } from './bearer.js';
import { forwardedOrigin } from './forwarded-origin.js';

/**
 * Every field line of a header, by lower-case name (RFC 9449 §4.3 step 1 counts them): an empty
 * line counts too, so an empty `DPoP` line beside a proof makes two fields, refused.
 */
function headerLines(rawHeaders: readonly string[], name: string): string[] {
  const lines: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const value = rawHeaders[i + 1];
    if (
      rawHeaders[i]?.length === name.length &&
      rawHeaders[i]?.toLowerCase() === name &&
      value !== undefined
    )
      lines.push(value);
  }
  return lines;
}

/**
 * RFC 9449 §4.3: what a request's proof is checked against. `publicPath`: the path a proxy in
 * front stripped from the URI the client used (`AuthPluginOptions.publicPath`).
 */
export function proofRequest(
  request: FastifyRequest,
  { scheme, token }: Credentials,
  publicPath = '',
  origin?: (request: FastifyRequest) => string | undefined,
): ProofRequest {
  return {
    scheme,
    token,
    proof: headerLines(request.raw.rawHeaders, 'dpop'),
    method: request.method,
    // `htu` is compared with the URI the client used: the app's own base for the request when
    // it names one (its path, if any, in place of `publicPath`), else behind trusted proxies the
    // forwarded scheme, host and port ({@link forwardedOrigin}) and `publicPath`.
    url: `${origin?.(request) ?? `${forwardedOrigin(request)}${publicPath}`}${request.url}`,
  };
}
