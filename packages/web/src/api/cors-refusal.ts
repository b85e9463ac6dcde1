/**
 * Telling a CORS refusal from a network failure. In a browser both reject `fetch` with the same
 * TypeError (Fetch standard, "CORS check": the answer is hidden, not described). After such a
 * failure two CORS reads of the API decide. `/healthz` answers every origin
 * (`Access-Control-Allow-Origin: *`): read, it says the API itself answers, not a proxy in front
 * of an API that is down (whose 502 or 503 carries no CORS header, and would otherwise read as a
 * refusal). `/readyz` answers only the origins of the API's `CORS_ORIGINS`, as every other
 * route: refused after `/healthz` was read, it says the API refuses this page's origin. Anything
 * else keeps the network reading, so a real outage reads as one.
 */

/** A request the browser refused because the API does not allow this page's origin. */
export class OriginRefusedError extends Error {
  override readonly name = 'OriginRefusedError';
  constructor(apiOrigin: string, pageOrigin: string, options?: { cause?: unknown }) {
    super(
      `The API at ${apiOrigin} answers but refuses this page's origin ${pageOrigin} (CORS). The administrator must add it to the API's CORS_ORIGINS.`,
      options,
    );
  }
}

/**
 * True when the API at `apiBase` answers a CORS read of `/healthz` (open to every origin) but
 * refuses one of `/readyz` (open to `CORS_ORIGINS` only).
 */
export async function originRefused(apiBase: string, probe: typeof fetch): Promise<boolean> {
  const base = apiBase.replace(/\/+$/, '');
  const init: RequestInit = { mode: 'cors', cache: 'no-store', credentials: 'omit' };
  try {
    await probe(`${base}/healthz`, init);
  } catch {
    return false; // The API does not answer: the network, the server or a proxy's error page.
  }
  try {
    await probe(`${base}/readyz`, init);
    return false; // The origin is allowed: the failure was something else (or is over).
  } catch {
    return true;
  }
}

/** How long one reading serves further failures before the API is probed again. */
const BURST_MS = 30_000;

/**
 * The reading for a failure, probing at most once per burst of failures: concurrent failures
 * share one probe, and its reading serves later failures until a request gets an answer
 * (`answered()`) or {@link BURST_MS} pass.
 */
export function createOriginCheck(
  apiBase: string,
  probe: typeof fetch,
  now: () => number = Date.now,
) {
  let reading: { refused: Promise<boolean>; at: number } | undefined;
  return {
    refused(): Promise<boolean> {
      if (!reading || now() - reading.at >= BURST_MS) {
        reading = { refused: originRefused(apiBase, probe), at: now() };
      }
      return reading.refused;
    },
    answered(): void {
      reading = undefined;
    },
  };
}
