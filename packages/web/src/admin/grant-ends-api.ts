import type { TodoApiClient } from '../api/client.js';
import { PAGE_SIZE, unwrap } from '../api/endpoints.js';
import type { paths } from '../api/schema.gen.js';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** A page of `GET /admin/agents/grant-ends`: the holds the identity provider has not cleared. */
export type GrantEndPage = Json<paths['/admin/agents/grant-ends']['get']['responses'][200]>;
export type GrantEnd = GrantEndPage['items'][number];
/** What a retry or a release that settled the hold answers. */
export type GrantEndSettled = Json<
  paths['/admin/agents/grant-ends/retry']['post']['responses'][200]
>;

/** Which hold: the person (issuer and `sub`) and the agent's client. */
export interface GrantEndKey {
  readonly issuer: string;
  readonly sub: string;
  readonly clientId: string;
}

/** What the release sends when the operator says the grant was ended at the provider by hand. */
export const RELEASE_CONFIRMATION = 'ended-at-provider';

export function listGrantEnds(
  api: TodoApiClient,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<GrantEndPage> {
  return unwrap(
    api.GET('/admin/agents/grant-ends', {
      params: { query: { cursor, limit: PAGE_SIZE } },
      signal,
    }),
  );
}

/** Asks the provider now; settled (the row goes) or an `ApiError` with its reason. */
export function retryGrantEnd(api: TodoApiClient, key: GrantEndKey): Promise<GrantEndSettled> {
  const { issuer, sub, clientId } = key;
  return unwrap(api.POST('/admin/agents/grant-ends/retry', { body: { issuer, sub, clientId } }));
}

/**
 * Releases the hold. `endedAtProvider`: the operator's word that the grant is gone at the
 * provider, which releases it even when the provider does not end it now; without it a refusal
 * is a 409 and the hold stays.
 */
export function releaseGrantEnd(
  api: TodoApiClient,
  key: GrantEndKey,
  endedAtProvider: boolean,
): Promise<GrantEndSettled> {
  const { issuer, sub, clientId } = key;
  const body = endedAtProvider
    ? { issuer, sub, clientId, confirm: RELEASE_CONFIRMATION as typeof RELEASE_CONFIRMATION }
    : { issuer, sub, clientId };
  return unwrap(api.POST('/admin/agents/grant-ends/release', { body }));
}

/** The pace of the API's background attempts (docs/mcp.md): 30 s, doubled, at most an hour. */
const RETRY_MS = 30_000;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * When the background is expected to ask the provider again: 30 s after a failed attempt, then
 * 1, 2, 4 … minutes, at most an hour, plus up to one 30 s round. An estimate: each instance of
 * the API paces itself from its own failures (the row counts everyone's) and a restarted one
 * asks at its first round. `undefined` when nothing failed yet (the next round, within 30 s).
 */
export function nextAttemptAround(row: GrantEnd): Date | undefined {
  if (row.attempts <= 0 || row.attemptedAt === null) return undefined;
  const last = Date.parse(row.attemptedAt);
  if (Number.isNaN(last)) return undefined;
  const wait = Math.min(MAX_BACKOFF_MS, RETRY_MS * 2 ** Math.min(row.attempts - 1, 30));
  return new Date(last + wait);
}
