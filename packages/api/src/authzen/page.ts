import { createHash } from 'node:crypto';
import type { SearchFound, SearchPage } from './engine.js';
import type { SearchKind } from './model.js';
import { AuthzenRequestError } from './validate.js';

/** Results a page holds at most, whatever `page.limit` asks (§8.2: a maximum, fewer is fine). */
export const MAX_PAGE = 1000;

/** A search response (AuthZEN 1.0 §8.3): `page` first when present, then the results. */
export interface SearchResponse<T> {
  page?: { next_token: string; count: number; total?: number };
  results: T[];
}

/** The page a search request asks for, read from its `page` member and token. */
export interface PageRequest extends SearchPage {
  /** Whether the request has a `page` member (without one, `page` is answered only if needed). */
  readonly paged: boolean;
  /** Whether it continues a previous page (so the total of the result set is not known). */
  readonly continued: boolean;
  /** The `limit` the pagination runs with, as first given (undefined: none given). */
  readonly given: number | undefined;
  /** What a token commits to: the search, its request and its limit. */
  readonly digest: string;
}

type Json = Record<string, unknown>;

/**
 * JSON with object members in sorted order: the same request gives the same text whatever the
 * order its members were sent in (§10.1.1: implementations "MUST NOT assume a particular
 * ordering of JSON object members"). Written with a work list rather than recursion: `page` and
 * `context` are open objects, and a body within the size limit can nest thousands deep, more
 * than the call stack holds.
 */
function canonical(value: unknown): string {
  const out: string[] = [];
  // Popped from the end: a string is written as is, anything else is a value still to write.
  const work: unknown[] = [{ value }];
  while (work.length > 0) {
    const item = work.pop();
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const v = (item as { value: unknown }).value;
    const next: unknown[] = [];
    if (Array.isArray(v)) {
      next.push('[');
      v.forEach((element, i) => {
        if (i > 0) next.push(',');
        next.push({ value: element });
      });
      next.push(']');
    } else if (typeof v === 'object' && v !== null) {
      next.push('{');
      Object.keys(v)
        .sort()
        .forEach((k, i) => {
          next.push(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`, { value: (v as Json)[k] });
        });
      next.push('}');
    } else {
      next.push(JSON.stringify(v) ?? '');
    }
    for (let i = next.length - 1; i >= 0; i--) work.push(next[i]);
  }
  return out.join('');
}

/** What a token commits to: which search, every member but `page.token`, and the limit. */
function digestOf(kind: SearchKind, body: Json, given: number | undefined): string {
  const { page, ...rest } = body;
  const { token: _token, limit: _limit, ...pageRest } = (page ?? {}) as Json;
  return createHash('sha256')
    .update(canonical([kind, rest, pageRest, given ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

const refuse = (message: string) =>
  new AuthzenRequestError([{ field: 'body.page.token', message }]);

/** A token's position and limit: `<base64url JSON [after, limit]>.<digest>`. */
function decodeToken(token: string): { after: string | null; limit: number | null; hash: string } {
  const match = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{16})$/.exec(token);
  let decoded: unknown;
  try {
    decoded = match && JSON.parse(Buffer.from(match[1] as string, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!match || !Array.isArray(decoded) || decoded.length !== 2) {
    throw refuse('is not a token issued for this request');
  }
  const [after, limit] = decoded as unknown[];
  const limitOk = limit === null || (Number.isInteger(limit) && (limit as number) >= 0);
  if (!(after === null || (typeof after === 'string' && after !== '')) || !limitOk) {
    throw refuse('is not a token issued for this request');
  }
  return { after, limit: limit as number | null, hash: match[2] as string };
}

/**
 * The page a search asks for (AuthZEN 1.0 §8.2). A token continues only the request it was
 * issued for: a request with a token "MUST be identical to the preceding request" and a PDP
 * "SHOULD return an error when any entity or parameter has been changed", so another entity,
 * context or `limit` is refused. A follow-up that leaves `limit` out continues with the one the
 * token was issued with, as the specification's own example (and the certification scenario,
 * C-4.5.2) sends it: only the token.
 */
export function pageRequest(
  kind: SearchKind,
  body: Json,
  page: { limit?: number; token?: string } | undefined,
): PageRequest {
  const token = page?.token;
  if (token === undefined || token === '') {
    const given = page?.limit;
    return {
      paged: page !== undefined,
      continued: false,
      given,
      limit: Math.min(given ?? MAX_PAGE, MAX_PAGE),
      digest: digestOf(kind, body, given),
    };
  }
  const issued = decodeToken(token);
  const given = issued.limit ?? undefined;
  if (page?.limit !== undefined && page.limit !== given) {
    throw new AuthzenRequestError([
      { field: 'body.page.limit', message: 'differs from the limit the token was issued for' },
    ]);
  }
  const digest = digestOf(kind, body, given);
  if (issued.hash !== digest) throw refuse('is not a token issued for this request');
  return {
    paged: true,
    continued: true,
    given,
    limit: Math.min(given ?? MAX_PAGE, MAX_PAGE),
    digest,
    ...(issued.after !== null && { after: issued.after }),
  };
}

/**
 * The response to one page (AuthZEN 1.0 §8.2, §8.3). Without a `page` member in the request and
 * with the whole result set in hand, `page` is left out; otherwise it is present (a response
 * that does not hold the entire result set "MUST include this object"), with a `next_token`
 * that is non-empty exactly when another result follows, the `count` of this page, and the
 * `total` when this page is the whole result set (a first page with nothing after it).
 *
 * A `limit` of 0 is a valid request (§8.2: "a non-negative integer") but every follow-up must
 * carry the same limit (§8.2: "MUST be identical"), so no page of that pagination can ever hold
 * a result: its `next_token` is empty (the pagination ends here) rather than a token that never
 * moves and would have a client following it loop forever. Its `total` is given only when there
 * is indeed nothing to find.
 */
export function pageResponse<T>(request: PageRequest, found: SearchFound<T>): SearchResponse<T> {
  const { results, next } = found;
  if (!request.paged && next === undefined) return { results };
  const token =
    next === undefined || request.limit === 0
      ? ''
      : `${Buffer.from(JSON.stringify([next, request.given ?? null])).toString('base64url')}.${request.digest}`;
  const whole = next === undefined && !request.continued;
  return {
    page: {
      next_token: token,
      count: results.length,
      ...(whole && { total: results.length }),
    },
    results,
  };
}
