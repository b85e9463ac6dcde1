import { createContext, type ReactNode, useContext } from 'react';
import type { TodoApiClient } from './client.js';

const ApiContext = createContext<TodoApiClient | null>(null);

/** Hands the authenticated API client to every screen (tests hand in their own). */
export function ApiProvider({ client, children }: { client: TodoApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

/** The API client of the nearest `ApiProvider`. */
export function useApi(): TodoApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new TypeError('useApi() needs an <ApiProvider> above it');
  return client;
}
