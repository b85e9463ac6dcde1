import { useEffect, useRef } from 'react';

/**
 * Messages between the app's tabs in one browser (BroadcastChannel, same origin): a sign-out
 * that the other tabs must follow, and writes that make their cached todos stale.
 */
export type TabMessage =
  /** `sub` signed out in another tab; tabs holding that person's session end it too. */
  | { type: 'signed-out'; sub: string }
  /** Another tab changed todos; lists refetch. */
  | { type: 'todos-changed' };

const CHANNEL = 'todo-sso';
const listeners = new Set<(message: TabMessage) => void>();
let channel: BroadcastChannel | null | undefined;

/**
 * One channel object per tab: a BroadcastChannel never hears its own messages, so this tab's
 * listeners react only to the others'. `null` where the browser has none (old Safari, jsdom).
 */
function tabChannel(): BroadcastChannel | null {
  if (channel !== undefined) return channel;
  if (typeof BroadcastChannel === 'undefined') {
    channel = null;
    return channel;
  }
  channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event: MessageEvent<TabMessage>) => {
    for (const listener of listeners) listener(event.data);
  };
  return channel;
}

/** Tells the app's other tabs. */
export function broadcast(message: TabMessage): void {
  tabChannel()?.postMessage(message);
}

/** Calls `onMessage` for every message another tab sends, while the component is mounted. */
export function useTabMessages(onMessage: (message: TabMessage) => void): void {
  const latest = useRef(onMessage);
  latest.current = onMessage;
  useEffect(() => {
    tabChannel();
    const listener = (message: TabMessage) => latest.current(message);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
}
