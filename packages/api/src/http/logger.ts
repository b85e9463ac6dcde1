import { type Logger, pino } from 'pino';

/**
 * Structured logs without credentials: the `Authorization` and `Cookie` headers are redacted
 * wherever they appear, and an `access_token` in a query string (RFC 6750 §2.3, which this API
 * does not accept) is masked before the URL is logged.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        '*.logout_token',
        '*.client_secret',
      ],
      censor: '[redacted]',
    },
  });
}

/** A URL safe to log: token-bearing query parameters masked. */
export function safeUrl(url: string): string {
  return url.replace(
    /([?&](?:access_token|logout_token|id_token_hint|code)=)[^&#]*/gi,
    '$1[redacted]',
  );
}
