/** The wait before the retry of a 503 that names no time. */
export const DEFAULT_RETRY_MS = 1_000;

/**
 * RFC 9110 §10.2.3: `Retry-After` as delay-seconds or an HTTP-date, in milliseconds from `now`;
 * {@link DEFAULT_RETRY_MS} without one, undefined when it cannot be read.
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return DEFAULT_RETRY_MS;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * What a 503 says a person should do, in words: the service is unavailable, and when to try
 * again by the answer's `Retry-After` (RFC 9110 §10.2.3, §15.6.4), rounded up to whole seconds;
 * without one (or one that cannot be read), "in a moment".
 */
export function unavailableLine(response: Response, now = Date.now()): string {
  const value = response.headers.get('retry-after');
  const ms = value === null ? undefined : retryAfterMs(value, now);
  const when =
    ms === undefined ? 'in a moment' : `in ${Math.max(1, Math.ceil(ms / 1000))} s (Retry-After)`;
  return `The service is unavailable for now: try again ${when}.`;
}
