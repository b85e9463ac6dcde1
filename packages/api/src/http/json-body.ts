import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './problem.js';

/** Strict UTF-8: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `charset=…` of a Content-Type (RFC 9110 §8.3.1: case-insensitive, optionally quoted). */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

const BACKSLASH = 0x5c;

/** Index of the `"` closing the string whose opening `"` is at `start` (valid JSON). */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let k = end - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    // An even run of backslashes before the quote escapes only itself.
    if ((end - 1 - k) % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** Is the string ending at `end` a member name: is the next non-space character `:`? */
function isName(text: string, end: number): boolean {
  let i = end + 1;
  let c = text.charCodeAt(i);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
  return c === 0x3a;
}

/** The names of one object: an array while few (most objects), a set past that. */
class Names {
  private few: string[] = [];
  private many: Set<string> | undefined;

  /** Adds `name`; false when the object had it already. */
  add(name: string): boolean {
    if (this.many) return this.many.size < this.many.add(name).size;
    if (this.few.includes(name)) return false;
    this.few.push(name);
    if (this.few.length === 16) this.many = new Set(this.few);
    return true;
  }
}

/**
 * Does an object of `text` (JSON that parsed) name one member twice? RFC 8259 §4: names SHOULD
 * be unique, and receivers differ in which of two values they keep (`JSON.parse` the last, other
 * parsers the first or both); I-JSON (RFC 7493 §2.3) forbids it. Refusing such a body means a
 * proxy, a log reader or a decision point never reads a different request than the API acts on.
 * One pass, strings skipped with `indexOf`: each string followed by `:` is a name of the
 * innermost open object; a name with an escape is compared decoded, so `"\u0074itle"` is
 * `"title"`.
 */
export function hasDuplicateName(text: string): boolean {
  const open: (Names | null)[] = [];
  for (let at = 0; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 0x22) {
      const end = stringEnd(text, at);
      const names = isName(text, end) ? open[open.length - 1] : undefined;
      if (names !== undefined) {
        const raw = text.slice(at + 1, end);
        if (names === null || !names.add(raw.includes('\\') ? JSON.parse(`"${raw}"`) : raw))
          return true;
      }
      at = end;
    } else if (c === 0x7b) open.push(new Names());
    else if (c === 0x5b) open.push(null);
    else if (c === 0x7d || c === 0x5d) open.pop();
  }
  return false;
}

/**
 * Whether `Content-Encoding` names a coding other than `identity` (RFC 9110 §8.4: the codings
 * applied to the body, in order; `identity` is none). The API decodes none.
 */
export function isCoded(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((coding) => {
    const name = coding.trim().toLowerCase();
    return name !== '' && name !== 'identity';
  });
}

/**
 * 415 for a body sent with a content coding (RFC 9110 §8.4.1, §15.5.16), with
 * `Accept-Encoding: identity`: RFC 9110 §12.5.3 has a server that refuses a coding name the
 * codings it accepts, so that the client can tell a refused coding from a refused media type.
 */
export function codedBody(): ApiError {
  return new ApiError(
    'unsupported_media_type',
    'Request bodies are accepted without a content coding (Content-Encoding: identity, or none; RFC 9110 §8.4.1)',
    { headers: { 'accept-encoding': 'identity' } },
  );
}

/**
 * Replaces Fastify's `application/json` parser with one that reads the body as UTF-8 only
 * (RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8). A body declared in another
 * charset is 415; bytes that are not UTF-8 are 400 — never stored with U+FFFD in place of
 * what was sent. A leading byte-order mark is ignored (§8.1 allows it). Parsing itself stays
 * Fastify's, refusing `__proto__` and `constructor.prototype` keys; a name given twice in one
 * object is 400 ({@link hasDuplicateName}). A body with a content coding (gzip, br…) is 415
 * (RFC 9110 §8.4.1, §15.5.16): the API decodes none, and reading it as if it were not coded
 * would act on another request than a proxy or a log reader that decodes it sees.
 */
export function useStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done) => {
      if (isCoded(request.headers['content-encoding'])) return done(codedBody(), undefined);
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
      parseJson(request, text, (error, body) => {
        if (!error && hasDuplicateName(text))
          return done(
            new ApiError(
              'invalid_request',
              'A member name appears twice in one JSON object (RFC 8259 §4)',
            ),
            undefined,
          );
        done(error, body);
      });
    },
  );
}
