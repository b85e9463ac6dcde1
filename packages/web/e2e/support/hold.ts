import type { APIResponse, Page, Route } from '@playwright/test';
import type { Urls } from './fixtures.js';

/** A request the app sent and a scenario holds back. */
export interface Held {
  /** Resolves once the request has reached the route (the app has shown the change by then). */
  readonly held: Promise<void>;
  /** Lets the held request go: it is answered as `holdNext` was told. */
  release(): void;
}

/**
 * Holds the app's next `method` request whose path (after the API's origin) matches `path`
 * until `release`, then answers it with `answer`. With `reachApi` the request first goes on to
 * the API and `answer` gets the API's response (kept from the page until then). Later requests
 * pass untouched.
 */
export async function holdNext(
  page: Page,
  urls: Urls,
  method: string,
  path: RegExp,
  answer: (route: Route, response: APIResponse | undefined) => Promise<void>,
  reachApi = false,
): Promise<Held> {
  let arrived: () => void = () => undefined;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let taken = false;
  await page.route(
    (url) => url.href.startsWith(urls.api) && path.test(url.href.slice(urls.api.length)),
    async (route) => {
      if (taken || route.request().method() !== method) return route.fallback();
      taken = true;
      const response = reachApi ? await route.fetch() : undefined;
      arrived();
      await released;
      await answer(route, response);
    },
  );
  return { held, release };
}

/**
 * `holdNext` for a request whose page is reloaded meanwhile: nobody reads the answer, so the
 * API's response (with `reachApi`) or an abort goes to a page that is gone.
 */
export function holdAcrossReload(
  page: Page,
  urls: Urls,
  method: string,
  path: RegExp,
  reachApi: boolean,
): Promise<Held> {
  return holdNext(
    page,
    urls,
    method,
    path,
    (route, response) =>
      (response ? route.fulfill({ response }) : route.abort()).catch(() => undefined),
    reachApi,
  );
}
