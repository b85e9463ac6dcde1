import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useAuth } from 'react-oidc-context';
import { AccountScreen } from './account/AccountScreen.js';
import { AdminScreen } from './admin/AdminScreen.js';
import { StepUpBoundary } from './auth/StepUpBoundary.js';
import type { BrowserSession } from './auth/session-port.js';
import { announceSignOut } from './auth/sign-out.js';
import { newSignOutState } from './auth/sign-out-state.js';
import { takeStepUpReturn } from './auth/step-up.js';
import { releaseDpopKey } from './auth/unfinished-sign-in.js';
import { SIGNED_OUT_LOCALLY_PATH } from './auth/user-manager.js';
import { clearAllDrafts } from './drafts/use-draft.js';
import { Header } from './layout/Header.js';
import { ListsScreen } from './lists/ListsScreen.js';
import { RequirePermission } from './me/RequirePermission.js';
import { useMe } from './me/use-me.js';
import { Link, navigate, usePath } from './navigation/router.js';
import { ReportsScreen } from './reports/ReportsScreen.js';
import { refetchAfterWrite } from './sync/refetch-after-write.js';
import { broadcast, useTabMessages } from './sync/tab-channel.js';
import { Empty } from './ui/states.js';

/** The signed-in app: header, then the screen for the current path. */
export function App({ session }: { session: BrowserSession }) {
  const auth = useAuth();
  const queryClient = useQueryClient();
  const me = useMe();
  const path = usePath();
  const [signingOut, setSigningOut] = useState(false);
  useScreenChange(path);
  // Another tab changed todos: what this tab shows is stale, the lists' todo counts too. Read
  // anew, even when this tab is still loading: its first read may have been made before the
  // other tab's change.
  useTabMessages((message) => {
    if (message.type !== 'todos-changed') return;
    void refetchAfterWrite(queryClient, ['todos']);
    void refetchAfterWrite(queryClient, ['lists']);
  });

  const signOut = async () => {
    setSigningOut(true);
    announceSignOut();
    const sub = auth.user?.profile.sub;
    if (sub) broadcast({ type: 'signed-out', sub });
    session.end();
    clearAllDrafts();
    queryClient.clear();
    // RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2): ends the session at
    // the identity provider, which then tells the API (back-channel logout) to refuse the
    // tokens this page held. oidc-client-ts removes the stored user before redirecting.
    // react-oidc-context never rejects here: on success the page leaves, and when the identity
    // provider cannot be reached (or advertises no end-session endpoint) the call resolves.
    // Then the tokens are forgotten locally and the signed-out page says that the session at
    // the identity provider may still be open, rather than claiming it ended.
    // §2: `id_token_hint`, the registered `post_logout_redirect_uri` (`/signed-out`, from the
    // settings) and a `state` the provider sends back, so that `/signed-out` can tell its
    // return from any other arrival (`sign-out-state.ts`).
    await releaseDpopKey();
    await auth
      .signoutRedirect({
        id_token_hint: auth.user?.id_token,
        extraQueryParams: { state: newSignOutState() },
      })
      .catch(() => null);
    await auth.removeUser().catch(() => undefined);
    navigate(SIGNED_OUT_LOCALLY_PATH, { replace: true });
  };

  const profile = auth.user?.profile;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header
        me={me.data}
        meStatus={me.status}
        fallbackName={profile?.preferred_username ?? profile?.name ?? 'you'}
        onSignOut={() => void signOut()}
        signingOut={signingOut}
      />
      <main id="main" className="page" tabIndex={-1}>
        <StepUpBoundary path={path}>
          <Screen path={path} />
        </StepUpBoundary>
      </main>
    </>
  );
}

const TITLES: Record<string, string> = {
  '/': 'Todos',
  '/reports': 'Reports',
  '/account': 'Your account',
  '/admin': 'Admin',
  '/admin/users': 'Users · Admin',
  '/admin/todos': 'All todos · Admin',
  '/admin/audit': 'Audit log · Admin',
  '/admin/agents': 'Agent grant ends · Admin',
};

/**
 * On in-app navigation, names the page in the title and moves focus to the content, so
 * keyboard and screen-reader users land where a full page load would have put them; likewise
 * on the screen a step-up round trip comes back to.
 */
function useScreenChange(path: string): void {
  const lastScreen = useRef<string | null>(null);
  useEffect(() => {
    document.title = `${TITLES[path] ?? 'Not found'} · todo-sso`;
    // A tab inside a screen (`/admin/todos` → `/admin/audit`) keeps the focus on its tab.
    const screen = path.split('/')[1] ?? '';
    const previous = lastScreen.current;
    lastScreen.current = screen;
    // The first screen of a page load keeps the browser's focus, unless the page loaded to come
    // back from a step-up asked for on this screen.
    if (previous === null ? !takeStepUpReturn() : previous === screen) return;
    document.getElementById('main')?.focus();
  }, [path]);
}

function Screen({ path }: { path: string }) {
  switch (path) {
    case '/':
      return <ListsScreen />;
    case '/account':
      return <AccountScreen />;
    case '/reports':
      return (
        <RequirePermission permission="reports:generate" what="Reports">
          <ReportsScreen />
        </RequirePermission>
      );
    case '/admin':
    case '/admin/users':
    case '/admin/todos':
    case '/admin/audit':
    case '/admin/agents':
      return (
        <RequirePermission permission="users:manage" what="Admin">
          <AdminScreen />
        </RequirePermission>
      );
    default:
      return (
        <Empty title="There is nothing at this address." heading>
          <Link to="/">Back to your todos</Link>
        </Empty>
      );
  }
}
