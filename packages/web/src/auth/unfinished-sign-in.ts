import { type DPoPState, IndexedDbDPoPStore, type UserManager } from 'oidc-client-ts';

/**
 * The Web Lock each tab with a session holds (shared) for as long as it has one. The DPoP key
 * pair is one per client id for the whole origin (IndexedDB, shared by every tab), so the
 * session of each tab signs its proofs with the same key: a tab cleaning up after its own
 * failed sign-in must not delete a key another tab's tokens are bound to (RFC 9449 §5).
 */
const KEY_IN_USE = 'todo-sso:dpop-key-in-use';

function lockManager(): LockManager | undefined {
  return typeof navigator === 'undefined' ? undefined : navigator.locks;
}

/** This tab's last hold, settled once the lock manager has let it go. */
let released: Promise<unknown> = Promise.resolve();

/** Lets go of this tab's current hold, if any. */
let letGo: () => void = () => undefined;

/** Holds {@link KEY_IN_USE} (shared) until the returned function is called. */
export function holdDpopKey(): () => void {
  const locks = lockManager();
  if (!locks) return () => undefined;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const done = locks.request(KEY_IN_USE, { mode: 'shared' }, () => held).catch(() => undefined);
  const stop = () => {
    release();
    released = done;
  };
  letGo = stop;
  return stop;
}

/**
 * Before this tab signs out: its session no longer holds the key, so the removal of its user
 * (oidc-client-ts, before it leaves for the identity provider) deletes the key unless another
 * tab's session holds it. Otherwise the key would be deleted only when the provider sends the
 * browser back, and not at all when it does not.
 */
export async function releaseDpopKey(): Promise<void> {
  letGo();
  await released;
}

/** Runs `remove` unless a tab (this one included) holds the key for its session. */
async function unlessKeyInUse(remove: () => Promise<void>): Promise<void> {
  const locks = lockManager();
  if (!locks) return remove();
  await locks.request(KEY_IN_USE, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
    if (lock) await remove();
  });
}

/**
 * The DPoP key pair store given to oidc-client-ts: IndexedDB, whose `remove` deletes the key
 * only when no tab's session holds it. oidc-client-ts deletes the key whenever a tab's user is
 * removed (a refresh token the provider refused, a sign-in loop stopped, sign-out), but the key is
 * one per client id for the whole browser profile, and another tab's tokens are bound to it
 * (RFC 9449 §5): deleting it would make that tab's proofs impossible and its session unusable.
 * A key kept so is deleted later by the last tab that lets it go, with no session left
 * (`forgetUnfinishedSignIn`, run by every tab without a session or a sign-in under way).
 */
export class SharedDPoPKeyStore extends IndexedDbDPoPStore {
  override async remove(key: string): Promise<DPoPState> {
    const kept = await this.get(key);
    await unlessKeyInUse(async () => {
      await super.remove(key);
    });
    return kept;
  }
}

/**
 * What a sign-in that ended without a session (refused or abandoned at the identity provider,
 * a `state` that matched nothing, a failed code exchange or ID token check) leaves behind,
 * deleted: this tab's pending authorization requests in sessionStorage (`state`, `nonce` and
 * the PKCE `code_verifier`, RFC 7636 §4.1) and the DPoP key pair in IndexedDB, which
 * oidc-client-ts creates for the token request and deletes only with a stored session. Nothing
 * is deleted while this tab still has a session (a refused step-up keeps the one from before),
 * and the key is kept while another tab's session holds it ({@link holdDpopKey}).
 */
export async function forgetUnfinishedSignIn(userManager: UserManager): Promise<void> {
  // This tab's own hold (held while its sign-in was under way) must not keep the key.
  await released;
  if (await userManager.getUser()) return;
  const { stateStore, dpop, client_id } = userManager.settings;
  // The stored user shares the store's prefix (`oidc.user:…`); there is none here, but a
  // session written meanwhile is left alone.
  for (const key of await stateStore.getAllKeys()) {
    if (!key.startsWith('user:')) await stateStore.remove(key);
  }
  // The store deletes it only while no tab's session holds it (`SharedDPoPKeyStore`).
  if (dpop) await dpop.store.remove(client_id);
}
