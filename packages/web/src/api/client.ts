import createClient from 'openapi-fetch';
import { createAuthFetch } from './auth-fetch.js';
import { createOriginCheck, OriginRefusedError } from './cors-refusal.js';
import type { paths } from './schema.gen.js';
import type { SessionPort } from './session.js';

/** The typed API client: every path, parameter and body comes from `schema.gen.ts`. */
export type TodoApiClient = ReturnType<typeof createClient<paths>>;

/**
 * Creates the typed client for `baseUrl`, authenticated by `session`.
 *
 * @example const api = createApiClient('http://localhost:8000', session);
 *          const { data } = await api.GET('/me');
 */
export function createApiClient(
  baseUrl: string,
  session: SessionPort,
  baseFetch: typeof fetch = (...args) => globalThis.fetch(...args),
): TodoApiClient {
  return createClient<paths>({
    baseUrl,
    fetch: withOriginCheck(baseUrl, createAuthFetch(session, baseFetch), baseFetch),
  });
}

/**
 * A request that got no answer is told apart from one the browser refused for CORS: the latter
 * fails as `OriginRefusedError`, whose message names both origins and CORS_ORIGINS.
 */
function withOriginCheck(
  baseUrl: string,
  send: (request: Request) => Promise<Response>,
  baseFetch: typeof fetch,
) {
  const check = createOriginCheck(baseUrl, baseFetch);
  return async (request: Request): Promise<Response> => {
    try {
      const response = await send(request);
      check.answered();
      return response;
    } catch (cause) {
      // Only a browser page has an origin to refuse (`fetch` rejects a network error as TypeError).
      if (
        cause instanceof TypeError &&
        typeof location !== 'undefined' &&
        (await check.refused())
      ) {
        throw new OriginRefusedError(new URL(baseUrl).origin, location.origin, { cause });
      }
      throw cause;
    }
  };
}
