import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/main.js';
import { type StoredSession, sessionKey } from '../../src/store/types.js';
import { approveDeviceCode } from './browser.js';

/** What one `todo …` run printed and returned. */
export interface Run {
  code: number;
  out: string;
  err: string;
}

export interface Terminal {
  /** Runs `todo <args>` in-process. */
  run(...args: string[]): Promise<Run>;
  /** The clock the CLI sees; tests move it forward to outlive a token. */
  clockOffsetMs: number;
  /** Every URL the CLI asked to open in a browser. */
  readonly opened: string[];
}

type Io = Omit<Parameters<typeof main>[1], 'out' | 'err'>;

/** Runs `todo <args>` in-process with `io`, collecting what it prints. */
async function capture(args: string[], io: Io): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    ...io,
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const realFetch: Io['fetch'] = (...a) => globalThis.fetch(...a);
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `fetchImpl` with a device authorization answer that names no polling interval (the dev IdP's:
 * oidc-provider sends none) given `interval: 1` (RFC 8628 §3.2), as a provider configured for
 * one-second polls would send it. Without it the CLI waits the RFC's default 5 s before its
 * first poll, 5 s of every sign-in here; the default itself is device-flow.test.ts's to check.
 */
export function oneSecondPolls(fetchImpl: Io['fetch']): Io['fetch'] {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    // The device authorization request is the provider POST that carries no grant_type.
    const form = typeof init?.body === 'string' ? new URLSearchParams(init.body) : undefined;
    if (init?.method !== 'POST' || !form || form.has('grant_type') || response.status !== 200)
      return response;
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as Record<string, unknown> | undefined;
    if (typeof body?.device_code !== 'string' || body.interval !== undefined) return response;
    return Response.json({ ...body, interval: 1 });
  };
}

/**
 * A terminal for in-process runs: the environment given (config dir, issuer, API), real fetch
 * and timers, and a "browser" in which `username` approves every device code over HTTP.
 */
export function terminal(
  env: Record<string, string>,
  username = 'alice',
  fetchImpl: Io['fetch'] = realFetch,
): Terminal {
  const opened: string[] = [];
  const t: Terminal = {
    clockOffsetMs: 0,
    opened,
    run: (...args) =>
      capture(args, {
        env,
        fetch: oneSecondPolls(fetchImpl),
        now: () => Date.now() + t.clockOffsetMs,
        sleep: realSleep,
        openBrowser: async (url) => {
          opened.push(url);
          // The person approves while the CLI polls.
          void approveDeviceCode(url, username);
          return true;
        },
      }),
  };
  return t;
}

/**
 * Runs `todo <args>` in-process with `env`, real fetch and no browser: a device code is never
 * approved. `sleep: 'skip'` makes the CLI's waits return at once.
 */
export function runTodo(
  env: Record<string, string>,
  args: string[],
  sleep: 'real' | 'skip' = 'real',
): Promise<Run> {
  return capture(args, {
    env,
    fetch: realFetch,
    now: Date.now,
    sleep: sleep === 'real' ? realSleep : async () => {},
    openBrowser: async () => false,
  });
}

/** `session` in `<dir>/sessions.json` (mode 0600), as a sign-in with the token file leaves it. */
export function writeSession(dir: string, session: StoredSession): void {
  writeFileSync(
    join(dir, 'sessions.json'),
    JSON.stringify({ [sessionKey(session.issuer, session.clientId)]: session }),
    { mode: 0o600 },
  );
}
