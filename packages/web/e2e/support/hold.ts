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

/**
 * Puts the app's next read (GET of `read`) and next write (`method` of `write`) in the order a
 * fresh load must survive: the read reaches the API before the write, and is answered after it
 * (and after the page has had a moment to take in the write's answer). A load that sends what
 * the one before it left (an add, a delete) meets this order when its first read of the todos
 * is slower than the write. `written` resolves to the write's status (and rejects when no read
 * came within 10 s, so a scenario that could not force the order fails), `readAnswered` once the
 * read's answer went to the page (or the page had given up on it). With `writer`, the write is
 * another tab's (the read stays `page`'s): a tab still loading when another one changes todos.
 */
export async function readFirstAnsweredLast(
  page: Page,
  urls: Urls,
  read: RegExp,
  method: string,
  write: RegExp,
  writer: Page = page,
): Promise<{ written: Promise<number>; readAnswered: Promise<void> }> {
  let readDone: () => void = () => undefined;
  let wrote: (status: number) => void = () => undefined;
  let unordered: (error: Error) => void = () => undefined;
  const hasRead = new Promise<void>((resolve) => {
    readDone = resolve;
  });
  const written = new Promise<number>((resolve, reject) => {
    wrote = resolve;
    unordered = reject;
  });
  // Settled here too, so a scenario that fails before awaiting it leaves no unhandled rejection.
  written.catch(() => undefined);
  let readOver: () => void = () => undefined;
  const readAnswered = new Promise<void>((resolve) => {
    readOver = resolve;
  });
  const onApi = (path: RegExp) => (url: URL) =>
    url.href.startsWith(urls.api) && path.test(url.href.slice(urls.api.length));
  let readTaken = false;
  let writeTaken = false;
  await page.route(onApi(read), async (route) => {
    if (readTaken || route.request().method() !== 'GET') return route.fallback();
    readTaken = true;
    const response = await route.fetch();
    readDone();
    await Promise.race([written.catch(() => undefined), pause(10_000)]);
    await pause(300);
    // The page may have given up on it meanwhile (cancelled it, or gone).
    await route.fulfill({ response }).catch(() => undefined);
    readOver();
  });
  await writer.route(onApi(write), async (route) => {
    if (writeTaken || route.request().method() !== method) return route.fallback();
    writeTaken = true;
    const inOrder = await Promise.race([hasRead.then(() => true), pause(10_000).then(() => false)]);
    const response = await route.fetch();
    await route.fulfill({ response });
    // The read never came: the scenario did not test what it says, and must not pass.
    if (inOrder) wrote(response.status());
    else unordered(new Error(`no read of ${read} reached the API within 10 s before the write`));
  });
  return { written, readAnswered };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app's reads of the todos: every readable list's, or one list's. */
export const TODOS = /^\/(lists\/[^/]+\/)?todos\/(\?|$)/;
