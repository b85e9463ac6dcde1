import { routeConfigOf } from '@todo-sso/auth/fastify';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { addressKey } from './address-key.js';
import { ApiError } from './problem.js';
import { headerObjectOf } from './security-headers.js';

export { addressKey };

/** Distinct keys one limiter tracks at most; past it the oldest window is dropped first. */
export const RATE_LIMIT_MAX_KEYS = 10_000;

/** One key's window: its key, its start (ms) and the requests counted in it. */
interface Window {
  readonly key: string;
  readonly start: number;
  count: number;
}

/** What a request counted against a limit: headers and, past the limit, a 429. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window ends (rounded up), for `X-RateLimit-Reset` and `Retry-After`. */
  readonly resetSeconds: number;
  readonly exceeded: boolean;
}

/**
 * A fixed-window counter per key (an address, a subject): `max` requests per `windowMs` from a
 * key's first request. Synchronous and allocation-light, because it runs on every request:
 * one Map lookup and an increment. Windows are queued in the order they start (a window that
 * ends is restarted at the back); expired windows are pruned from the front, and past
 * `maxKeys` the oldest live window is dropped (that key starts afresh, as in an LRU store).
 * Limits are per process: each API instance counts its own requests.
 *
 * The order is an array with a moving head rather than the Map's own order: a Map whose front
 * entries are deleted keeps them as holes until it is rehashed, and iterating it from the
 * front skips every hole again, which made each new key cost thousands of steps once
 * `maxKeys` keys were tracked (12 µs against under 1 µs for a new key, measured in-process).
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();
  /** Windows by start, oldest at `head`; an entry the Map no longer holds is skipped. */
  private queue: Window[] = [];
  private head = 0;

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly maxKeys = RATE_LIMIT_MAX_KEYS,
    private readonly now: () => number = Date.now,
  ) {
    if (!(max > 0) || !(windowMs > 0) || !(maxKeys > 0))
      throw new TypeError('FixedWindowLimiter needs a positive max, windowMs and maxKeys');
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.windows.size;
  }

  /** Counts one request of `key`; the state tells whether it is over the limit. */
  hit(key: string): RateLimitState {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= this.windowMs) {
      if (window !== undefined) this.windows.delete(key);
      this.makeRoom(now);
      window = { key, start: now, count: 0 };
      this.windows.set(key, window);
      this.queue.push(window);
    }
    const count = ++window.count;
    return {
      limit: this.max,
      remaining: count >= this.max ? 0 : this.max - count,
      resetSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)),
      exceeded: count > this.max,
    };
  }

  /** Drops ended windows from the front, then the oldest one while the Map is full. */
  private makeRoom(now: number): void {
    const { queue, windows } = this;
    while (this.head < queue.length) {
      const window = queue[this.head] as Window;
      const current = windows.get(window.key) === window;
      if (current && now - window.start < this.windowMs && windows.size < this.maxKeys) break;
      if (current) windows.delete(window.key);
      this.head += 1;
    }
    // The dropped front is cut off once it is half the array: amortised O(1) per window.
    if (this.head > 64 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }
}

const rateLimited = (max: number) =>
  new ApiError('rate_limited', `Rate limit of ${max} requests per minute exceeded`);

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The per-address count of a request whose `X-RateLimit-*` headers wait for the
     * per-subject count (protected routes), or null once they are set.
     */
    addressLimit: RateLimitState | null;
  }
}

/**
 * Of two counts of one request, the one its `X-RateLimit-*` headers describe: the limit the
 * client will run into first. An exceeded limit (the one refusing) first, then the one with
 * fewer requests remaining, then the one whose window ends later. One set of headers describes
 * one limit, the one closest to exhaustion, as the IETF RateLimit header drafts
 * (draft-ietf-httpapi-ratelimit-headers) ask when several quota policies apply.
 */
export function tighterLimit(a: RateLimitState, b: RateLimitState): RateLimitState {
  if (a.exceeded !== b.exceeded) return a.exceeded ? a : b;
  if (a.remaining !== b.remaining) return a.remaining < b.remaining ? a : b;
  return a.resetSeconds >= b.resetSeconds ? a : b;
}

/**
 * Sets the `X-RateLimit-*` headers of a counted request; past the limit also `Retry-After`
 * (RFC 9110 §10.2.3) and returns the 429 to throw.
 */
export function applyLimit(reply: FastifyReply, state: RateLimitState): ApiError | undefined {
  const headers = headerObjectOf(reply);
  if (headers !== undefined) {
    // What `reply.header` stores, under the names it would lower-case (constants here), as text
    // (Node turned the numbers into text twice: to check the value, then to write the line).
    headers['x-ratelimit-limit'] = `${state.limit}`;
    headers['x-ratelimit-remaining'] = `${state.remaining}`;
    headers['x-ratelimit-reset'] = `${state.resetSeconds}`;
  } else {
    reply.header('x-ratelimit-limit', state.limit);
    reply.header('x-ratelimit-remaining', state.remaining);
    reply.header('x-ratelimit-reset', state.resetSeconds);
  }
  if (!state.exceeded) return undefined;
  reply.header('retry-after', state.resetSeconds);
  return rateLimited(state.limit);
}

/**
 * Sets the headers of a per-address count still waiting for the per-subject one: for a
 * protected request refused before its caller was known (a bad token, a failed proof). The
 * error handler calls it for every failure; it does nothing when the headers are set already.
 */
export function applyPendingLimit(request: FastifyRequest, reply: FastifyReply): void {
  const pending = request.addressLimit;
  if (pending === null || pending === undefined) return;
  request.addressLimit = null;
  applyLimit(reply, pending);
}

/**
 * An `onRequest` hook (callback style: no promise per request) limiting each client address
 * (`request.ip`, as `TRUST_PROXY` resolves it; an IPv6 one by its /64, {@link addressKey}) before
 * any token is read, except on `exempt`
 * route patterns. A route declaring a requirement (`config.auth`) is behind the auth plugin,
 * whose per-subject limit counts the caller too: its headers are set once, there, for the
 * tighter of the two counts ({@link perSubjectLimit}); a request refused before that gets the
 * per-address ones from the error handler ({@link applyPendingLimit}). A request over the
 * per-address limit is refused here at once, with its headers.
 */
export function perAddressLimit(
  limiter: FixedWindowLimiter,
  exempt: ReadonlySet<string>,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    const route = routeConfigOf(request);
    if (exempt.has(route?.url ?? '')) return done();
    const state = limiter.hit(addressKey(request.ip));
    if (!state.exceeded && route?.auth !== undefined) {
      request.addressLimit = state;
      return done();
    }
    const refusal = applyLimit(reply, state);
    if (refusal) return done(refusal);
    done();
  };
}

/**
 * Limits each authenticated caller (issuer and subject); throws the 429 past the limit.
 * Synchronous, so a warm request stays free of promises. Sets the `X-RateLimit-*` headers of
 * the tighter of this count and the request's per-address one ({@link tighterLimit}).
 *
 * One limiter per issuer (`newLimiter`, made on the issuer's first caller), counting by subject:
 * a subject is unique only within its issuer (OIDC Core §2), so the same `sub` at two issuers is
 * two callers. The issuer is one of the configured trusted ones (a principal exists only for a
 * verified token), so the limiters are as few as the issuers. The principal's own strings are
 * the keys: nothing is built or remembered per principal, which a new token would pay for (a
 * joined key string and a weak entry per principal for the collector), and a cached token's
 * strings carry their hash from the first lookup on.
 */
export function perSubjectLimit(
  newLimiter: () => FixedWindowLimiter,
): (request: FastifyRequest, reply: FastifyReply) => void {
  const byIssuer = new Map<string, FixedWindowLimiter>();
  return (request, reply) => {
    const { issuer, subject } = request.principal;
    let limiter = byIssuer.get(issuer);
    if (limiter === undefined) {
      limiter = newLimiter();
      byIssuer.set(issuer, limiter);
    }
    const counted = limiter.hit(subject);
    const address = request.addressLimit;
    request.addressLimit = null;
    const refusal = applyLimit(reply, address ? tighterLimit(address, counted) : counted);
    if (refusal) throw refusal;
  };
}
