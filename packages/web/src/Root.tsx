import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { UserManager } from 'oidc-client-ts';
import { AuthProvider } from 'react-oidc-context';
import { App } from './App.js';
import { ApiProvider } from './api/ApiContext.js';
import type { TodoApiClient } from './api/client.js';
import { isApiError } from './api/errors.js';
import { AuthGate } from './auth/AuthGate.js';
import type { BrowserSession } from './auth/session-port.js';
import { stepUpReturned } from './auth/step-up.js';
import { CALLBACK_PATH, safeReturnTo } from './auth/user-manager.js';
import { navigate } from './navigation/router.js';

/** Retries only what may succeed on a second try: no answer, 5xx, 503 from an IdP outage. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= 2) return false;
  if (!isApiError(error)) return true;
  return error.code === 'network' || error.code === 'unavailable' || error.code === 'server';
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 10_000 },
      mutations: { retry: false },
    },
  });
}

/** Everything the app needs, wired once at start-up (tests wire their own). */
export function Root({
  userManager,
  session,
  api,
  queryClient,
}: {
  userManager: UserManager;
  session: BrowserSession;
  api: TodoApiClient;
  queryClient: QueryClient;
}) {
  return (
    <AuthProvider
      userManager={userManager}
      skipSigninCallback={window.location.pathname !== CALLBACK_PATH}
      // The callback route swaps `?code=…&state=…` out of the address bar and history
      // (RFC 9700 §4.2.4: don't leave the code where Referer or history can leak it).
      onSigninCallback={(user) => {
        // No user: an answer already used, in a tab whose session stands (`CheckedUserManager`).
        if (!user) return navigate('/', { replace: true });
        stepUpReturned(user.state, user.profile.auth_time);
        navigate(safeReturnTo(user.state), { replace: true });
      }}
    >
      <QueryClientProvider client={queryClient}>
        <ApiProvider client={api}>
          <AuthGate session={session}>
            <App session={session} />
          </AuthGate>
        </ApiProvider>
      </QueryClientProvider>
    </AuthProvider>
  );
}
