import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot.

/**
 * WCAG 2.3.3 (Animation from Interactions): with prefers-reduced-motion: reduce the busy
 * indicator stands still, and the words beside it still say the screen is loading. The same
 * page first shows it turning, so the check cannot pass on a spinner that is never drawn.
 */
test('the busy spinner turns, and stands still for a person who asks for reduced motion', async ({
  page,
  urls,
}) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The todos stay on their way: the screen shows that it is loading them.
  await page.route(
    (url) => url.href.startsWith(urls.api) && /\/todos\/?(\?|$)/.test(url.pathname + url.search),
    async (route) => {
      if (route.request().method() === 'GET') await held;
      await route.fallback();
    },
  );
  await signIn(page, urls, 'carol');
  const loading = page.getByRole('status').filter({ hasText: 'Loading your todos…' });
  await expect(loading).toBeVisible();
  const spinner = loading.locator('.spinner');
  const turning = () =>
    spinner.evaluate((element) => ({
      name: getComputedStyle(element).animationName,
      running: element.getAnimations().filter((a) => a.playState === 'running').length,
    }));
  // Polled: the screen may put a new loading state in place of the first (the list once known).
  await expect.poll(turning).toEqual({ name: 'spin', running: 1 });

  await page.emulateMedia({ reducedMotion: 'reduce' });
  await expect.poll(turning).toEqual({ name: 'none', running: 0 });
  await expect(spinner).toBeVisible();
  await expect(loading).toHaveText('Loading your todos…');
  release();
});
