import createClient from 'openapi-fetch';
import { createAuthFetch } from './auth-fetch.js';
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
  return createClient<paths>({ baseUrl, fetch: createAuthFetch(session, baseFetch) });
}
