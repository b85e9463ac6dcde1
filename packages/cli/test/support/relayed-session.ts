import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/main.js';
import { type Relay, startRelay } from './relay.js';
import { writeSession } from './run.js';
import { passwordGrant, type Stack, startStack } from './stack.js';

/** A signed-in `todo` whose API calls go through a {@link Relay} that can lose create answers. */
export interface RelayedSession {
  readonly stack: Stack;
  readonly relay: Relay;
  /** The environment `run` gives `todo`: the session's folder, the issuer, the relay as API. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * `todo <args>` through the relay, waiting 500 ms for a create's answer; `sleep` is the CLI's
   * (a real wait by default).
   */
  run(
    args: string[],
    sleep?: (ms: number) => Promise<void>,
  ): Promise<{ code: number; out: string; err: string }>;
  /** `GET path` of the API itself (not through the relay) with the session's token, as JSON. */
  read<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A create's `Idempotency-Key` as the relay saw it in the request head (quoted). */
export const keyOf = (head: string) => /\r\nidempotency-key: ("[^"\r\n]+")\r\n/i.exec(head)?.[1];

/** The real dev IdP and API, a relay in front of the API, and a `todo` session signed in there. */
export async function startRelayedSession(prefix: string): Promise<RelayedSession> {
  const stack = await startStack();
  const relay = await startRelay(stack.apiUrl);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const tokens = await passwordGrant(stack.issuer);
  const accessToken = tokens.access_token;
  writeSession(dir, {
    issuer: stack.issuer,
    clientId: 'todo-cli',
    accessToken,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + 3_600_000,
  });
  const env = {
    TODO_CONFIG_DIR: dir,
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: relay.url,
    TODO_TOKEN_STORE: 'file',
  };
  const session: RelayedSession = {
    stack,
    relay,
    env,
    async run(args, sleep = wait) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, {
        env,
        fetch: (...a) => globalThis.fetch(...a),
        now: Date.now,
        sleep,
        createTimeoutMs: 500,
        openBrowser: async () => false,
        out: (text) => out.push(text),
        err: (text) => err.push(text),
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    async read<T>(path: string) {
      const res = await fetch(`${stack.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      return (await res.json()) as T;
    },
    async close() {
      await relay.close();
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  // The API loads the provider's keys at its first token: done here, so that no first create
  // outlives the 500 ms the tests give an answer on a busy machine, and is sent again.
  await session.read('/lists/');
  return session;
}
