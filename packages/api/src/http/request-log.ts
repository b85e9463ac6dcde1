import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request, when the response is done: method, route pattern, status, duration
 * (ms) and client address (`request.ip`: the socket's, or the one the proxies trusted by
 * `TRUST_PROXY` vouch for), with the request id that every request logger carries. Fastify's default is
 * two lines, each serialising the request through the redaction paths (~16 µs a request).
 * The route pattern is logged, never the URL nor a header, so no token can reach the log from
 * here. Fastify's other log lines (errors, route not found) keep their default behaviour.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      remoteAddress: request.ip,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
