import { createHash } from 'node:crypto';
import { AuthzenRequestError } from './validate.js';

/** A search response (AuthZEN 1.0 §8.3): `page` first when present, then the results. */
export interface SearchResponse<T> {
  page?: { next_token: string; count: number; total: number };
  results: T[];
}

/** What a page token commits to: where the next page starts and which request it continues. */
const digest = (body: Record<string, unknown>) => {
  const { page, ...rest } = body;
  const { token: _token, ...pageRest } = (page ?? {}) as Record<string, unknown>;
  return createHash('sha256')
    .update(JSON.stringify([rest, pageRest]))
    .digest('base64url')
    .slice(0, 16);
};

/**
 * Pages a search's results (AuthZEN 1.0 §8.2). Without a `page` member the whole result set is
 * returned and `page` is omitted. With one, `limit` results at most (all when absent) and a
 * `next_token` that is empty on the last page. A token only continues the request it was issued
 * for: §8.2 says a PDP "SHOULD return an error when any entity or parameter has been changed".
 */
export function paginate<T>(
  body: Record<string, unknown>,
  page: { limit?: number; token?: string } | undefined,
  results: T[],
): SearchResponse<T> {
  if (!page) return { results };
  const hash = digest(body);
  let offset = 0;
  if (page.token !== undefined && page.token !== '') {
    const match = /^(\d{1,9})\.([A-Za-z0-9_-]{16})$/.exec(page.token);
    if (!match || match[2] !== hash) {
      throw new AuthzenRequestError([
        { field: 'body.page.token', message: 'is not a token issued for this request' },
      ]);
    }
    offset = Number(match[1]);
  }
  const limit = page.limit ?? results.length;
  const slice = results.slice(offset, offset + limit);
  const next = offset + slice.length;
  return {
    page: {
      next_token: next < results.length && slice.length > 0 ? `${next}.${hash}` : '',
      count: slice.length,
      total: results.length,
    },
    results: slice,
  };
}
