import type { AppAction, AppResourceType } from './app-policy.js';

/** What the API asks about one caller, resource and action. */
export interface AccessQuestion {
  readonly issuer: string;
  readonly subject: string;
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
  readonly type: AppResourceType;
  readonly id: string;
  readonly action: AppAction;
}

/** The answer: allowed, or refused while the resource stays readable (403) or not (404). */
export type AccessAnswer = 'allowed' | 'forbidden' | 'hidden';

/** The external decision point did not answer usably: the request fails closed with 503. */
export class DecisionPointUnavailableError extends Error {
  override readonly name = 'DecisionPointUnavailableError';
  readonly code = 'ERR_PDP_UNAVAILABLE';
}

export interface RemotePdpOptions {
  /** The decision point's base URL (`AUTHZ_PDP_URL`); requests go to its default paths. */
  readonly url: string;
  /** Bearer token for it (`AUTHZ_PDP_TOKEN`), sent on every request when set. */
  readonly token?: string | undefined;
  readonly timeoutMs?: number;
  /** How long a decision is reused, and how many are kept. */
  readonly cacheTtlMs?: number;
  readonly cacheSize?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/**
 * An external AuthZEN 1.0 decision point (`AUTHZ_PDP_URL`) answering the API's access checks
 * instead of its own table. One access evaluations request per question asks the action and
 * `can_read` together (§7), so a refusal still tells 403 from 404. Decisions are cached for a
 * short time in a bounded map (oldest evicted first); a timeout, a network error, a non-200 or
 * an answer without boolean decisions fails closed.
 */
export function remotePdp(options: RemotePdpOptions) {
  const endpoint = `${options.url.replace(/\/+$/, '')}/access/v1/evaluations`;
  const timeoutMs = options.timeoutMs ?? 2000;
  const ttl = options.cacheTtlMs ?? 5000;
  const size = options.cacheSize ?? 1000;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const cache = new Map<string, { answer: AccessAnswer; until: number }>();

  async function ask(q: AccessQuestion): Promise<AccessAnswer> {
    let response: Response;
    try {
      response = await doFetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(options.token && { authorization: `Bearer ${options.token}` }),
        },
        body: JSON.stringify({
          subject: {
            type: 'user',
            id: q.subject,
            properties: { issuer: q.issuer, permissions: q.permissions, roles: q.roles },
          },
          resource: { type: q.type, id: q.id },
          evaluations: [{ action: { name: q.action } }, { action: { name: 'can_read' } }],
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new DecisionPointUnavailableError('the decision point is unreachable', { cause });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new DecisionPointUnavailableError(`the decision point answered ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw new DecisionPointUnavailableError('the decision point answered no JSON', { cause });
    }
    const decisions = (body as { evaluations?: { decision?: unknown }[] }).evaluations;
    const [act, read] = Array.isArray(decisions) ? decisions.map((d) => d?.decision) : [];
    if (typeof act !== 'boolean' || typeof read !== 'boolean') {
      throw new DecisionPointUnavailableError('the decision point answered no decisions');
    }
    return act ? 'allowed' : read ? 'forbidden' : 'hidden';
  }

  return {
    async decide(q: AccessQuestion): Promise<AccessAnswer> {
      const key = JSON.stringify([
        q.issuer,
        q.subject,
        [...q.permissions].sort(),
        [...q.roles].sort(),
        q.type,
        q.id,
        q.action,
      ]);
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.answer;
      cache.delete(key);
      const answer = await ask(q);
      if (cache.size >= size) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(key, { answer, until: now() + ttl });
      return answer;
    },
    /** How many decisions are cached (for tests). */
    get cached(): number {
      return cache.size;
    },
  };
}

export type RemotePdp = ReturnType<typeof remotePdp>;
