import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './problem.js';

/** Strict UTF-8: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `charset=…` of a Content-Type (RFC 9110 §8.3.1: case-insensitive, optionally quoted). */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Replaces Fastify's `application/json` parser with one that reads the body as UTF-8 only
 * (RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8). A body declared in another
 * charset is 415; bytes that are not UTF-8 are 400 — never stored with U+FFFD in place of
 * what was sent. A leading byte-order mark is ignored (§8.1 allows it). Parsing itself stays
 * Fastify's, refusing `__proto__` and `constructor.prototype` keys.
 */
export function useStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done) => {
      const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        return done(
          new ApiError('unsupported_media_type', 'JSON bodies must be UTF-8 (RFC 8259 §8.1)'),
          undefined,
        );
      }
      let text: string;
      try {
        text = UTF8.decode(body);
      } catch {
        return done(
          new ApiError('invalid_request', 'Body is not valid UTF-8 (RFC 8259 §8.1)'),
          undefined,
        );
      }
      parseJson(request, text, done);
    },
  );
}
