import type { Decision, Entity, EvaluationRequest } from './model.js';

/**
 * The search APIs' paging over candidates (AuthZEN 1.0 §8.2): which candidates to read, which
 * page to answer, and one page found by deciding candidates as their own evaluations would be.
 */

/** Which candidates of a search to read next: after an id (keyset), at most `limit`. */
export interface CandidateRange {
  readonly after?: string;
  readonly limit: number;
}

/** Which page of a search to answer: the results after a position, at most `limit` of them. */
export interface SearchPage {
  /** The position (a candidate's id, an action's name) the page continues after. */
  readonly after?: string;
  readonly limit: number;
}

/** A page of search results and, when more results follow, the position the next starts after. */
export interface SearchFound<T> {
  readonly results: T[];
  /** Set when another permitted result exists after this page; `null`: from the start. */
  readonly next?: string | null;
}

/** One candidate of a search: its position, the evaluation deciding it, what it returns. */
export interface Candidate<T> {
  readonly key: string;
  readonly request: EvaluationRequest;
  readonly result: T;
}

export const candidate = (
  key: string,
  request: EvaluationRequest,
  searched: 'subject' | 'resource',
): Candidate<Entity> => ({
  key,
  request,
  result: { type: request[searched].type, id: request[searched].id },
});

/** Candidates read at a time: enough for a page and the one result after it, 50 to 1,000. */
const chunkFor = (limit: number) => Math.min(1000, Math.max(50, limit + 1));

/**
 * Candidates examined at most for one page. Past it the page ends where the scan stopped, with a
 * position to continue from, rather than read a subject's every todo in one request; the page
 * after it may then hold no result, the only case where a non-empty `next_token` is followed by
 * nothing (§8.2 lets a PDP return fewer results than `limit`).
 */
const MAX_SCAN = 10_000;

/**
 * One page of a search (§8.2): candidates read in chunks after `page.after`, each decided as its
 * own evaluation would be (with `prefetch`, what the chunk needs loaded first in one go, as for
 * a batch; candidates read with their facts need none),
 * until `page.limit` results are found and one more permitted candidate shows that another page
 * follows (so `next_token` is empty exactly when nothing follows), or the candidates run out.
 */
export async function searchPage<T>(
  prefetch: ((requests: readonly EvaluationRequest[]) => Promise<void>) | undefined,
  evaluate: (request: EvaluationRequest) => Promise<Decision>,
  page: SearchPage,
  read: (range: CandidateRange) => Promise<Candidate<T>[]>,
): Promise<SearchFound<T>> {
  const results: T[] = [];
  let resume: string | null = page.after ?? null;
  let after = page.after;
  const chunk = chunkFor(page.limit);
  for (let scanned = 0; scanned < MAX_SCAN; ) {
    const candidates = await read({ ...(after !== undefined && { after }), limit: chunk });
    if (candidates.length > 0) await prefetch?.(candidates.map((c) => c.request));
    for (const { key, request, result } of candidates) {
      if (!(await evaluate(request)).decision) continue;
      if (results.length === page.limit) return { results, next: resume };
      results.push(result);
      resume = key;
    }
    if (candidates.length < chunk) return { results };
    after = candidates[candidates.length - 1]?.key;
    scanned += candidates.length;
  }
  return { results, next: after ?? null };
}
