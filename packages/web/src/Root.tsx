import { MutationCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { UserManager } from 'oidc-client-ts';
import { AuthProvider } from 'react-oidc-context';
import { App } from './App.js';
import { ApiProvider } from './api/ApiContext.js';
import type { TodoApiClient } from './api/client.js';
import { isApiError, isWriteOutcomeUnknown } from './api/errors.js';
import { AuthGate } from './auth/AuthGate.js';
import type { BrowserSession } from './auth/session-port.js';
import { stepUpReturned } from './auth/step-up.js';
import { CALLBACK_PATH, safeReturnTo } from './auth/user-manager.js';
import { navigate } from './navigation/router.js';

/** The longest `Retry-After` a read waits out by itself before its one retry. */
export const AUTO_RETRY_AFTER_MAX_MS = 30_000;

/**
 * Retries only what may succeed on a second try: no answer, 5xx, 503 from an IdP outage. A 503
 * that says when to try again (`Retry-After`) is retried once, after that wait
 * ({@link retryDelay}), when it is at most {@link AUTO_RETRY_AFTER_MAX_MS}; its message then
 * says when to try again.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= 2) return false;
  if (!isApiError(error)) return true;
  if (error.retryAfterMs !== undefined)
    return failureCount < 1 && error.retryAfterMs <= AUTO_RETRY_AFTER_MAX_MS;
  return error.code === 'network' || error.code === 'unavailable' || error.code === 'server';
}

/** The wait before a retry: the 503's `Retry-After`, else TanStack Query's own backoff. */
export function retryDelay(failureCount: number, error: unknown): number {
  if (isApiError(error) && error.retryAfterMs !== undefined) return error.retryAfterMs;
  return Math.min(1000 * 2 ** failureCount, 30_000);
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, retryDelay, staleTime: 10_000 },
      mutations: { retry: false },
    },
    mutationCache: new MutationCache({
      // A write whose outcome the API cannot tell (503 `write_outcome_unknown`) may have been
      // saved: once its own handlers have put back what the screen showed before it, everything
      // shown is read again, so the person sees what the server has, not what was assumed.
      onSettled: (_data, error) => {
        if (isWriteOutcomeUnknown(error)) void client.invalidateQueries();
      },
    }),
  });
  return client;
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
