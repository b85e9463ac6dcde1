import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, pino } from 'pino';
import { batchedLines } from './log-batch.js';

/** Query parameters whose values are credentials (RFC 6750 §2.3 tokens, codes, secrets). */
const SECRET_PARAMETERS = new Set([
  'access_token',
  'logout_token',
  'id_token_hint',
  'code',
  'client_secret',
]);

/**
 * Whether a query parameter's name (as written in the URL) names a credential. The name is
 * compared decoded and in lower case, as a query parser reads `access%5Ftoken` as
 * `access_token` (RFC 3986 §2.1, §2.4): a name that cannot be decoded (a malformed escape) is
 * treated as one, its value masked rather than logged.
 */
function secretName(name: string): boolean {
  if (!name.includes('%')) return SECRET_PARAMETERS.has(name.toLowerCase());
  try {
    return SECRET_PARAMETERS.has(decodeURIComponent(name).toLowerCase());
  } catch {
    return true;
  }
}

/** A URL safe to log: the values of credential-bearing query parameters masked. */
export function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const start = url.indexOf('?');
  if (start === -1) return url;
  const hash = url.indexOf('#', start);
  const end = hash === -1 ? url.length : hash;
  const query = url
    .slice(start + 1, end)
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      return equals !== -1 && secretName(part.slice(0, equals))
        ? `${part.slice(0, equals + 1)}[redacted]`
        : part;
    });
  return `${url.slice(0, start + 1)}${query.join('&')}${url.slice(end)}`;
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
