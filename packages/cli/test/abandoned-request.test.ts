import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Relay } from './support/relay.js';
import { type RelayedSession, startRelayedSession } from './support/relayed-session.js';
import { writeSession } from './support/run.js';

/**
 * `todo add` and `todo lists create` against a server that takes the request and never answers:
 * after its deadline and its one retry the command must give the request up for real — its
 * connection closed, no refresh left waiting — so that the process exits with its message, not
 * when the server's silence or some other timeout ends. Each command runs as its own process
 * (the CLI as built, `dist/`), with a 500 ms deadline, its garbage collector run every few
 * milliseconds: a signal that reaches the request only through a weak reference (a copied
 * Request's) loses its abort then, as it may in any long run.
 */
const mainModule = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const RUN = `
const { main } = await import(process.env.TODO_MAIN_MODULE);
setInterval(() => globalThis.gc(), 5).unref();
process.exitCode = await main(JSON.parse(process.env.TODO_ARGS), {
  out: (text) => process.stdout.write(text + '\\n'),
  err: (text) => process.stderr.write(text + '\\n'),
  env: process.env,
  fetch: (...a) => globalThis.fetch(...a),
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  createTimeoutMs: 500,
  openBrowser: async () => false,
});
`;

/** Far more than two 500 ms deadlines on a loaded machine, far less than any other timeout. */
const PROMPT_MS = 8_000;

/**
 * How long a request the command sent may take to be counted by the server here after the
 * command has exited: the server runs in this process, whose event loop may hear of the
 * child's exit before it reads the request that reached its socket first (CI once counted one
 * refresh of two). A request never sent is never counted, however long this waits.
 */
const COUNTED_MS = 3_000;

interface Exit {
  code: number | null;
  err: string;
  /** Whether the process was still running at {@link PROMPT_MS} (it is then killed). */
  lingered: boolean;
}

function todo(args: string[], env: Readonly<Record<string, string>>): Promise<Exit> {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', RUN], {
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      TODO_MAIN_MODULE: mainModule,
      TODO_ARGS: JSON.stringify(args),
    },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let lingered = false;
  const timer = setTimeout(() => {
    lingered = true;
    child.kill('SIGKILL');
  }, PROMPT_MS);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, err, lingered });
    }),
  );
}

describe('a create the API never answers', () => {
  let session: RelayedSession;
  let relay: Relay;

  beforeAll(async () => {
    session = await startRelayedSession('todo-abandoned-');
    relay = session.relay;
  });
  afterAll(async () => {
    await session?.close();
  });
  beforeEach(() => {
    relay.creates.length = 0;
    relay.mode = { kind: 'silent' };
  });

  it('todo add gives it up at its deadline, closes its connections and exits 1 at once', async () => {
    const result = await todo(['add', 'Never answered'], session.env);
    expect(result.lingered).toBe(false);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /^todo add: The API did not answer in time\nThe todo may have been added before its answer was lost: check with todo ls before adding it again\n$/,
    );
    // The first send and its one retry.
    await vi.waitFor(() => expect(relay.creates).toHaveLength(2), { timeout: COUNTED_MS });
  });

  it('todo lists create does the same', async () => {
    const result = await todo(['lists', 'create', 'Never answered'], session.env);
    expect(result.lingered).toBe(false);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/may have been created.*: check with todo lists before creating/s);
    await vi.waitFor(() => expect(relay.creates).toHaveLength(2), { timeout: COUNTED_MS });
  });
});

describe('a create whose token refresh the provider never answers', () => {
  let provider: Server;
  let dir: string;
  let tokenRequests = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-abandoned-refresh-'));
    // Its discovery answers; its token endpoint takes the request and says nothing.
    provider = createServer((req, res) => {
      const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token` }));
        return;
      }
      tokenRequests += 1;
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    provider?.closeAllConnections();
    provider?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A session whose access token has expired, so that a create refreshes it first. */
  function expiredSession(): Record<string, string> {
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    writeSession(dir, {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'expired',
      refreshToken: 'refresh-never-answered',
      expiresAt: Date.now() - 60_000,
    });
    tokenRequests = 0;
    return {
      TODO_CONFIG_DIR: dir,
      TODO_ISSUER: issuer,
      // Never reached: the token is refreshed first.
      TODO_API_URL: issuer,
      TODO_TOKEN_STORE: 'file',
    };
  }

  /** What the person is told: the provider did not answer, and nothing reached the API. */
  const notSent = (issuer: string) =>
    `The identity provider at ${issuer} did not answer in time (refreshing the access token)\nNothing was sent to the API: running the command again is safe\n`;

  it('todo add gives up the refresh with the request, says nothing was sent and exits 1 at once', async () => {
    const env = expiredSession();
    const result = await todo(['add', 'After a refresh'], env);
    expect(result.lingered).toBe(false);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`todo add: ${notSent(env.TODO_ISSUER as string)}`);
    // The first send's refresh and the retry's: neither kept the refresh lock from the other.
    await vi.waitFor(() => expect(tokenRequests).toBe(2), { timeout: COUNTED_MS });
  });

  it('todo lists create says the same', async () => {
    const env = expiredSession();
    const result = await todo(['lists', 'create', 'After a refresh'], env);
    expect(result.lingered).toBe(false);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`todo lists: ${notSent(env.TODO_ISSUER as string)}`);
    await vi.waitFor(() => expect(tokenRequests).toBe(2), { timeout: COUNTED_MS });
  });
});
