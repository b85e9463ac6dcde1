import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, pino } from 'pino';

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
  return pino(options, destination ?? standardOutput());
}

/** Bytes of log lines gathered before one write(2) (about 25 request lines). */
export const LOG_BATCH_BYTES = 4096;
/** Longest a line waits in the batch when the server is quiet (ms). */
export const LOG_FLUSH_INTERVAL_MS = 1000;

/**
 * Standard output, written asynchronously and in batches: lines gather until
 * {@link LOG_BATCH_BYTES} are pending, so a busy server makes one write(2) and one thread-pool
 * hand-off per batch instead of one per request line, and a timer writes whatever is pending
 * every {@link LOG_FLUSH_INTERVAL_MS}, so a quiet server's lines still appear within a second.
 * Every line is written: pino flushes what is pending synchronously when the process exits
 * (also after an uncaught error); only a process killed outright (SIGKILL) loses the last
 * second's lines.
 */
function standardOutput(): DestinationStream {
  return pino.destination({
    dest: 1,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  });
}
