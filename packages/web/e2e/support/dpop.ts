import type { Page } from '@playwright/test';

/**
 * DPoP proofs signed by the page's own key, for tests that call the API from the runner with the
 * token the page holds, as the page itself would (RFC 9449 §7.1).
 *
 * oidc-client-ts keeps the key pair non-extractable in IndexedDB (`oidc` → `dpop`, keyed by
 * client id) and deletes it on sign-out. The test copies the `CryptoKey` objects (IndexedDB
 * clones them, private key included, without ever exposing its bytes) into a database of its own
 * under the access token, so a proof can still be signed after the app signed out: a refusal
 * then comes from the revoked session, not from a missing proof.
 */
const COPY_DB = 'todo-sso-e2e';

/** Copies the page's DPoP key (if any) under `token`; `true` when there was one. */
export function keepPageKey(page: Page, token: string, clientId = 'todo-ui'): Promise<boolean> {
  return page.evaluate(
    async ({ token, clientId, copyDb }) => {
      const open = (name: string, store: string) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name);
          request.onupgradeneeded = () => request.result.createObjectStore(store);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const run = <T>(
        db: IDBDatabase,
        store: string,
        mode: IDBTransactionMode,
        op: string,
        ...args: unknown[]
      ) =>
        new Promise<T>((resolve, reject) => {
          const target = db.transaction(store, mode).objectStore(store) as unknown as Record<
            string,
            (...a: unknown[]) => IDBRequest<T>
          >;
          const request = (target[op] as (...a: unknown[]) => IDBRequest<T>).apply(target, args);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const oidc = await open('oidc', 'dpop');
      const state = await run<{ keys: CryptoKeyPair } | undefined>(
        oidc,
        'dpop',
        'readonly',
        'get',
        clientId,
      );
      oidc.close();
      if (!state) return false;
      const copy = await open(copyDb, 'keys');
      await run(copy, 'keys', 'readwrite', 'put', state.keys, token);
      copy.close();
      return true;
    },
    { token, clientId, copyDb: COPY_DB },
  );
}

/**
 * Signs a proof for `method` `url` with the key kept for `token` (see `keepPageKey`), in the
 * page (same origin as the app); `undefined` when no key was kept for it.
 */
export function pageProof(
  page: Page,
  token: string,
  method: string,
  url: string,
): Promise<string | undefined> {
  return page.evaluate(
    async ({ token, method, url, copyDb }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(copyDb);
        request.onupgradeneeded = () => request.result.createObjectStore('keys');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const keys = await new Promise<CryptoKeyPair | undefined>((resolve, reject) => {
        const request = db.transaction('keys').objectStore('keys').get(token);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      db.close();
      if (!keys) return undefined;
      const b64 = (bytes: ArrayBuffer | Uint8Array) =>
        btoa(String.fromCharCode(...new Uint8Array(bytes)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const text = (value: unknown) => b64(new TextEncoder().encode(JSON.stringify(value)));
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
      const htu = new URL(url);
      htu.search = '';
      const ath = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
      const input = `${text({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })}.${text({
        jti: crypto.randomUUID(),
        htm: method,
        htu: htu.href,
        iat: Math.floor(Date.now() / 1000),
        ath,
      })}`;
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        keys.privateKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${b64(signature)}`;
    },
    { token, method, url, copyDb: COPY_DB },
  );
}

/**
 * The client ids that have a DPoP key pair in the browser profile's IndexedDB (one database for
 * every tab of the app's origin).
 */
export function dpopKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('oidc');
        open.onupgradeneeded = () => open.result.createObjectStore('dpop');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('dpop')) {
            db.close();
            return resolve([]);
          }
          const keys = db.transaction('dpop').objectStore('dpop').getAllKeys();
          keys.onsuccess = () => {
            db.close();
            resolve(keys.result.map(String));
          };
          keys.onerror = () => reject(keys.error);
        };
      }),
  );
}
