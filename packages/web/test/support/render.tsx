import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { ApiProvider } from '../../src/api/ApiContext.js';
import { createApiClient } from '../../src/api/client.js';
import type { SessionPort } from '../../src/api/session.js';

/** A session holding a fixed token, counting renewals and sign-in redirects. */
export function fixedSession(token = 'token-1') {
  const calls = { renew: 0, reauthenticate: 0 };
  let current: string | null = token;
  let next: string | null = null;
  const session: SessionPort & { calls: typeof calls; renewTo(token: string | null): void } = {
    calls,
    renewTo(value) {
      next = value;
    },
    getAccessToken: async () => current,
    renew: async () => {
      calls.renew++;
      current = next ?? null;
      return current;
    },
    reauthenticate: () => {
      calls.reauthenticate++;
    },
    accepted: () => {},
    identityProviderUnreachable: () => false,
  };
  return session;
}

/** Renders `ui` with a fresh query cache and an API client talking to `baseUrl`. */
export function renderWithApi(ui: ReactNode, baseUrl: string, session = fixedSession()) {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  const api = createApiClient(baseUrl, session);
  const view = render(
    <QueryClientProvider client={queryClient}>
      <ApiProvider client={api}>{ui}</ApiProvider>
    </QueryClientProvider>,
  );
  return { ...view, queryClient, session };
}
