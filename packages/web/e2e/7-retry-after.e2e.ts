import type { Page, Route } from '@playwright/test';
import {
  expect,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
  type Urls,
} from './support/fixtures.js';

skipWithoutChromium();

/** The API's words while the provider refuses its introspection client (a 30 s cooldown). */
const REFUSED = "The identity provider refuses the API's client credentials";

/**
 * Answers the page's reads of a list's todos with the API's 503 and `Retry-After: 2` (its headers
 * as the API sends them to the app's origin), the first `times` of them; later reads reach the
 * API. Returns how many reads were answered so, and when each read came.
 */
async function unavailableTodos(page: Page, urls: Urls, times: number) {
  const seen = { refused: 0, reads: [] as number[] };
  await page.route(
    (url) => url.href.startsWith(urls.api) && /^\/lists\/[^/]+\/todos\/$/.test(url.pathname),
    async (route: Route) => {
      if (route.request().method() !== 'GET') return route.continue();
      seen.reads.push(Date.now());
      if (seen.refused >= times) return route.continue();
      seen.refused++;
      return route.fulfill({
        status: 503,
        headers: {
          'content-type': 'application/problem+json',
          'retry-after': '2',
          'access-control-allow-origin': urls.web,
          'access-control-expose-headers': 'retry-after',
        },
        body: JSON.stringify({
          title: 'Service Unavailable',
          status: 503,
          detail: REFUSED,
          code: 'idp_unavailable',
        }),
      });
    },
  );
  return seen;
}

test('a read answered 503 with Retry-After is tried once more after it, by itself', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'bob');
  await expect(todosShown(page)).toBeVisible();
  const seen = await unavailableTodos(page, urls, 1);
  await page.reload();
  // No click: the app waited the 2 s and read again.
  await expect(todosShown(page)).toBeVisible({ timeout: 15_000 });
  expect(seen.refused).toBe(1);
  // Not sooner than the API asked (TanStack Query's own backoff would have read after 1 s).
  const [refusedAt, retriedAt] = seen.reads;
  expect((retriedAt ?? 0) - (refusedAt ?? 0)).toBeGreaterThanOrEqual(1_900);
  await expect(page.getByText(REFUSED)).toHaveCount(0);
});

test('a read still unavailable after its retry says so, and when to try again', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'bob');
  await expect(todosShown(page)).toBeVisible();
  const seen = await unavailableTodos(page, urls, 100);
  await page.reload();
  const alert = page.getByRole('alert').filter({ hasText: "Couldn't load your todos" });
  await expect(alert).toContainText(`${REFUSED}. Try again in 2 s.`, { timeout: 15_000 });
  // Once by itself, not more.
  expect(seen.refused).toBe(2);
});
