import type { AppAction, AppResourceType } from './app-policy.js';
import { postEvaluations } from './pdp-request.js';

export { DecisionPointUnavailableError } from './pdp-request.js';

/** The caller a question is about, as the decision point's subject. */
export interface AccessSubject {
  readonly issuer: string;
  readonly subject: string;
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
}

/** One resource and action a caller is asked about. */
export interface AccessItem {
  readonly type: AppResourceType;
  readonly id: string;
  readonly action: AppAction;
  /**
   * The caller's relation to the resource as this API's database holds it (undefined: none, or
   * not read). Never sent (the decision point keeps its own relations); it is part of the cache
   * key, so a relation added, narrowed or removed at any instance is asked about afresh at once
   * instead of answered by a decision cached before the change.
   */
  readonly relation?: string | undefined;
}

/** What the API asks about one caller, resource and action. */
export interface AccessQuestion extends AccessSubject, AccessItem {}

/** The answer: allowed, or refused while the resource stays readable (403) or not (404). */
export type AccessAnswer = 'allowed' | 'forbidden' | 'hidden';

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

/** Decisions kept `ttl` ms in a map of at most `size` entries, the oldest evicted first. */
function decisionCache(size: number, ttl: number, now: () => number) {
  const cache = new Map<string, { value: AccessAnswer | boolean; until: number }>();
  return {
    cache,
    recall(key: string): AccessAnswer | boolean | undefined {
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.value;
      cache.delete(key);
      return undefined;
    },
    remember(key: string, value: AccessAnswer | boolean): void {
      if (cache.size >= size) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(key, { value, until: now() + ttl });
    },
  };
}

/**
 * The most evaluations one request asks: about 90 bytes each (a list's UUID and an action), so
 * with the subject a request stays near 5 KB, well under the 16 KiB body limit a todo-sso
 * decision point has by default (`BODY_LIMIT_BYTES`).
 */
const BATCH = 50;

/**
 * Questions about one subject in access evaluations requests of at most BATCH each (§7.1), one
 * after the other: a whole screen at once would exceed the body a decision point accepts
 * (16 KiB for todo-sso's default). The decisions, in the order of `items`.
 */
async function askInBatches(
  evaluations: (body: unknown, expected: number) => Promise<boolean[]>,
  subject: unknown,
  items: readonly AccessItem[],
): Promise<boolean[]> {
  const answers: boolean[] = [];
  for (let from = 0; from < items.length; from += BATCH) {
    const part = items.slice(from, from + BATCH);
    const body = {
      subject,
      evaluations: part.map((item) => ({
        resource: { type: item.type, id: item.id },
        action: { name: item.action },
      })),
    };
    answers.push(...(await evaluations(body, part.length)));
  }
  return answers;
}

/** The cache key of one question: who asks (with what grants and relation), about what. */
function keyOf(kind: 'answer' | 'allowed', q: AccessSubject, item: AccessItem): string {
  return JSON.stringify([
    kind,
    q.issuer,
    q.subject,
    [...q.permissions].sort(),
    [...q.roles].sort(),
    item.type,
    item.id,
    item.action,
    item.relation ?? null,
  ]);
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

  const evaluations = (body: unknown, expected: number) =>
    postEvaluations({ endpoint, timeoutMs, fetch: doFetch, token: options.token }, body, expected);

  const subjectOf = (q: AccessSubject) => ({
    type: 'user',
    id: q.subject,
    properties: { issuer: q.issuer, permissions: q.permissions, roles: q.roles },
  });

  async function ask(q: AccessQuestion): Promise<AccessAnswer> {
    const [act, read] = await evaluations(
      {
        subject: subjectOf(q),
        resource: { type: q.type, id: q.id },
        evaluations: [{ action: { name: q.action } }, { action: { name: 'can_read' } }],
      },
      2,
    );
    return act ? 'allowed' : read ? 'forbidden' : 'hidden';
  }

  const { cache, recall, remember } = decisionCache(size, ttl, now);

  return {
    async decide(q: AccessQuestion): Promise<AccessAnswer> {
      const key = keyOf('answer', q, q);
      const hit = recall(key);
      if (typeof hit === 'string') return hit;
      const answer = await ask(q);
      remember(key, answer);
      return answer;
    },

    /**
     * Many questions about one caller (a screen's worth), answered in order: those not cached
     * are asked in access evaluations requests of at most BATCH each (§7.1, answers matched by
     * position, §7.2), and their answers cached like any other.
     */
    async decideAll(subject: AccessSubject, items: readonly AccessItem[]): Promise<boolean[]> {
      const keys = items.map((item) => keyOf('allowed', subject, item));
      const known = keys.map((key) => recall(key));
      const missing = items.filter((_, i) => known[i] === undefined);
      if (missing.length > 0) {
        const answers = await askInBatches(evaluations, subjectOf(subject), missing);
        let next = 0;
        known.forEach((value, i) => {
          if (value !== undefined) return;
          const answer = answers[next++] === true;
          known[i] = answer;
          remember(keys[i] as string, answer);
        });
      }
      return known.map((value) => value === true);
    },

    /** How many decisions are cached (for tests). */
    get cached(): number {
      return cache.size;
    },
  };
}

export type RemotePdp = ReturnType<typeof remotePdp>;
