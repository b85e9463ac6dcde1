/**
 * This page load, and whether the loads that left records in this tab's `sessionStorage` are
 * still open somewhere.
 *
 * Deletes in their undo window, adds and edits waiting for the API's answer are remembered in
 * `sessionStorage` with the page load that asked for them, so that the next load of the tab
 * (after a reload, a sign-in round trip) sends or settles what the page left. But a duplicated
 * tab (the browser's "Duplicate", or a window opened by the app's page) starts with a copy of
 * that storage while the page that wrote it is still open and still settles them itself: the
 * copy sending them too would delete a todo the first tab's Undo took back, or report an add
 * still on its way there as "left by a reload". So every page load holds a Web Lock named after
 * it while it is open, and a load leaves alone the records of a load whose lock another tab
 * holds.
 */

const LOCK_PREFIX = 'todo-sso:page-load:';

function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** This page load: what it asked for is still under way, not left behind. */
export const PAGE_LOAD = newId();

function lockManager(): LockManager | undefined {
  return typeof navigator === 'undefined' ? undefined : navigator.locks;
}

/**
 * Holds this page load's lock until the page goes (`pagehide`: a reload, leaving for the
 * identity provider, closing the tab). Let go at `pagehide` rather than when the document is
 * destroyed, so that the next load of this tab never finds it still held; a page restored from
 * the back/forward cache reloads (`main.tsx`), a new page load with a lock of its own.
 */
export function holdPageLoad(): void {
  const locks = lockManager();
  if (!locks) return;
  let release: () => void = () => undefined;
  const open = new Promise<void>((resolve) => {
    release = resolve;
  });
  locks.request(LOCK_PREFIX + PAGE_LOAD, () => open).catch(() => undefined);
  window.addEventListener('pagehide', () => release(), { once: true });
}

/**
 * The page loads other than this one that are open now, in this tab's browser profile. Empty
 * without Web Locks (an insecure context, an old browser): every record is then taken for one
 * an earlier load of this tab left, as a reload leaves them.
 */
export async function pageLoadsOpenElsewhere(): Promise<ReadonlySet<string>> {
  const locks = lockManager();
  if (!locks) return new Set();
  try {
    const { held = [] } = await locks.query();
    const open = new Set<string>();
    for (const lock of held) {
      const name = lock.name ?? '';
      if (name.startsWith(LOCK_PREFIX)) open.add(name.slice(LOCK_PREFIX.length));
    }
    open.delete(PAGE_LOAD);
    return open;
  } catch {
    return new Set();
  }
}
