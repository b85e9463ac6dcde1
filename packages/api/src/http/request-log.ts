import { routeUrlOf } from '@todo-sso/auth/fastify';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

/**
 * One log line per request, when the response is done: method, route pattern, status, duration
 * (ms) and client address (`request.ip`: the socket's, or the one the proxies trusted by
 * `TRUST_PROXY` vouch for), with the request id. Fastify's default is two lines, each
 * serialising the request through the redaction paths (~16 µs a request).
 *
 * The line holds these fields only — the route pattern, never the URL nor a header — so no
 * token can reach the log from here, and it is written by a child of the app's logger without
 * the redaction pass (which would cost about four times the line itself, for fields that never
 * match a redaction path). The output is the same as the request's own logger would write.
 * Errors keep the request's logger, with redaction. Fastify's other log lines (route not
 * found) keep their default behaviour.
 */
export class RequestLog extends LogController {
  readonly #lines: Logger;

  constructor(logger: Logger) {
    super();
    this.#lines = logger.child({}, { redact: { paths: [] } });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const route = routeUrlOf(request) ?? 'unmatched';
    const responseTime = Math.round(reply.elapsedTime * 100) / 100;
    if (error) {
      reply.log.error(
        {
          method: request.method,
          route,
          statusCode: reply.statusCode,
          responseTime,
          remoteAddress: request.ip,
          err: error,
        },
        'request errored',
      );
      return;
    }
    this.#lines.info(
      {
        reqId: request.id,
        method: request.method,
        route,
        statusCode: reply.statusCode,
        responseTime,
        remoteAddress: request.ip,
      },
      'request completed',
    );
  }
}

/**
 * A request's logger, made only when the request logs something of its own (an error, a
 * warning): most requests log nothing but their request line, so Fastify's per-request
 * `logger.child({ reqId })` is deferred to the first call. Writes exactly what that child would.
 */
class DeferredChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly childBindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  #get(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.childBindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.#get().level = level;
  }
  fatal(...args: Parameters<FastifyBaseLogger['fatal']>): void {
    this.#get().fatal(...args);
  }
  error(...args: Parameters<FastifyBaseLogger['error']>): void {
    this.#get().error(...args);
  }
  warn(...args: Parameters<FastifyBaseLogger['warn']>): void {
    this.#get().warn(...args);
  }
  info(...args: Parameters<FastifyBaseLogger['info']>): void {
    this.#get().info(...args);
  }
  debug(...args: Parameters<FastifyBaseLogger['debug']>): void {
    this.#get().debug(...args);
  }
  trace(...args: Parameters<FastifyBaseLogger['trace']>): void {
    this.#get().trace(...args);
  }
  silent(...args: Parameters<FastifyBaseLogger['silent']>): void {
    this.#get().silent(...args);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#get().child(bindings, options);
  }
  isLevelEnabled(level: string): boolean {
    return (this.#get() as unknown as Logger).isLevelEnabled(level);
  }
  bindings(): Bindings {
    return (this.#get() as unknown as Logger).bindings();
  }
}

/** Fastify's `childLoggerFactory`: each request's logger, deferred ({@link DeferredChildLogger}). */
export function deferredChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new DeferredChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
