import { type RefObject, useLayoutEffect, useRef } from 'react';
import type { Me } from '../api/types.js';
import { visibleScreens } from '../me/permissions.js';
import { Link } from '../navigation/router.js';

const LABELS = { todos: 'Todos', reports: 'Reports', admin: 'Admin' } as const;
const PATHS = { todos: '/', reports: '/reports', admin: '/admin' } as const;

/** Who is signed in (name, roles, department), where they can go, and sign-out. */
export function Header({
  me,
  meStatus,
  fallbackName,
  onSignOut,
  signingOut,
}: {
  me: Me | undefined;
  /** Where `GET /me` stands: roles and department are unknown until it succeeds. */
  meStatus?: 'pending' | 'error' | 'success';
  fallbackName: string;
  onSignOut: () => void;
  signingOut: boolean;
}) {
  const roles = me?.roles.filter((role) => !role.startsWith('default-roles-')) ?? [];
  const permissions = me?.permissions ?? [];
  const extra = permissions.filter((p) => p !== 'todos:read' && p !== 'todos:write');
  const bar = useRef<HTMLElement>(null);
  useTopbarHeight(bar);
  return (
    <header className="topbar" ref={bar}>
      <div className="topbar__inner">
        <Link className="brand" to="/" aria-label="todo-sso home">
          <span className="brand__mark" aria-hidden="true">
            ✓
          </span>
          <span className="brand__name">todo-sso</span>
        </Link>
        <nav className="nav" aria-label="Main">
          {visibleScreens(me).map((screen) => (
            <Link key={screen} to={PATHS[screen]} className="nav__link">
              {LABELS[screen]}
            </Link>
          ))}
        </nav>
        <section className="who" aria-label="Signed in as">
          <span className="avatar" aria-hidden="true">
            {(me?.username ?? fallbackName).slice(0, 1).toUpperCase()}
          </span>
          <span className="who__text">
            <span className="who__name" data-testid="user-name">
              {me?.username ?? fallbackName}
            </span>
            <span className="who__meta">
              {me ? (
                <>
                  <span data-testid="user-roles">
                    {[...roles, ...extra].map((role) => (
                      <span key={role} className="chip">
                        {role}
                      </span>
                    ))}
                  </span>
                  <span className="who__dept" data-testid="user-department">
                    {me.department ?? 'no department'}
                  </span>
                </>
              ) : (
                // Until the API says who this is, claim nothing ("no department", no roles).
                <span className="who__placeholder" data-testid="user-profile-status">
                  {meStatus === 'error' ? 'Profile unavailable' : 'Loading profile…'}
                </span>
              )}
            </span>
          </span>
          <HeaderActions onSignOut={onSignOut} signingOut={signingOut} />
        </section>
      </div>
    </header>
  );
}

/**
 * Keeps `--topbar-height` on the document at the top bar's height. The bar stays at the top of
 * the screen while the page scrolls under it, so the page's `scroll-padding-top` (styles.css)
 * takes that height: an element the keyboard focus reaches (Shift+Tab upwards) is scrolled
 * into view below the bar, never under it (WCAG 2.2, 2.4.11 Focus Not Obscured). The bar's
 * height changes with the width, the text size and the roles shown, so it is measured.
 */
function useTopbarHeight(bar: RefObject<HTMLElement | null>): void {
  useLayoutEffect(() => {
    const element = bar.current;
    // Without ResizeObserver the style sheet's fallback height applies.
    if (!element || typeof ResizeObserver !== 'function') return;
    const root = document.documentElement;
    const measure = () =>
      root.style.setProperty('--topbar-height', `${element.getBoundingClientRect().height}px`);
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    measure();
    return () => {
      observer.disconnect();
      root.style.removeProperty('--topbar-height');
    };
  }, [bar]);
}

/** Account and Sign out, kept together: on a narrow screen they move below the name as one. */
function HeaderActions({ onSignOut, signingOut }: { onSignOut: () => void; signingOut: boolean }) {
  return (
    <span className="who__actions">
      <Link to="/account" className="button button--ghost" data-testid="account-link">
        Account
      </Link>
      <button
        type="button"
        className="button button--ghost"
        onClick={onSignOut}
        disabled={signingOut}
      >
        {signingOut ? 'Signing out…' : 'Sign out'}
      </button>
    </span>
  );
}
