import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, pino } from 'pino';
import { batchedLines } from './log-batch.js';

/** A URL safe to log: token-bearing query parameters masked (RFC 6750 §2.3 tokens, codes). */
export function safeUrl(url: string | undefined): string | undefined {
  return url?.replace(
    /([?&](?:access_token|logout_token|id_token_hint|code|client_secret)=)[^&#]*/gi,
    '$1[redacted]',
  );
}

/**
 * Structured logs without credentials. Requests are logged as method, URL (token-bearing query
 * parameters masked), request id and remote address — never headers, so no `Authorization` or
 * `Cookie` value can reach a log; the redaction paths are a second line for anything logged
 * by hand.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'logout_token',
        '*.logout_token',
        'client_secret',
        '*.client_secret',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: IncomingMessage & { id?: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        url: safeUrl(req.url),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  // Standard output written asynchronously: lines logged while a write is in flight go out
  // together in the next one, instead of one blocking write(2) per request line (several µs
  // each under load), handed over once per turn of the event loop (`batchedLines`). pino
  // flushes what is pending synchronously when the process exits.
  return pino(options, destination ?? batchedLines(pino.destination({ dest: 1, sync: false })));
}
