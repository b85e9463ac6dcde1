/** `npm start` in a test: a free port, a port check, and the whole stack started and stopped. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Whether a TCP connection to host:port is accepted. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

/** A running `npm start` (scripts/start.mjs) with its own data folder. */
export interface Stack {
  /** SIGTERM, wait for the exit, remove the data folder. */
  stop(): Promise<void>;
  /**
   * What `npm start` has printed so far (stdout and stderr), its ready banner included. The two
   * pipes are read apart: a line written to stderr before the banner may arrive after it, so
   * wait for such a line (`expect.poll`) rather than read it once.
   */
  readonly output: string;
}

/**
 * Starts `scripts/start.mjs` with only PATH, HOME, a fresh DATA_DIR and `env`, and resolves
 * once it prints that it is ready (fails with its output after 60 s or on an early exit).
 */
export async function startStack(env: Record<string, string>): Promise<Stack> {
  const scratch = mkdtempSync(join(tmpdir(), 'todo-sso-stack-'));
  const child: ChildProcess = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: join(scratch, 'data'),
      ...env,
    },
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(scratch, { recursive: true, force: true });
  };
  let output = '';
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`npm start not ready in 60 s:\n${output}`)),
        60_000,
      );
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('is ready in')) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    stop,
    get output() {
      return output;
    },
  };
}

/**
 * `npm start` with `env` and the ports `pick()` chooses, started again on newly picked ports
 * (up to three times) when it exits because one of them was taken: a port found free here can be
 * taken before the stack binds it, since every socket's port, a client connection's too, comes
 * from the same ephemeral range.
 */
export async function startStackOn<Ports extends Record<string, number>>(
  pick: () => Promise<Ports>,
  env: Record<string, string> = {},
): Promise<{ stack: Stack; ports: Ports }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await pick();
    const portEnv = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
    try {
      return { stack: await startStack({ ...portEnv, ...env }), ports };
    } catch (error) {
      if (attempt >= 3 || !/already in use|EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

/** The dev IdP's authorization request of `todo-ui` with a redirect URI, not followed. */
export function authorize(issuer: string, redirectUri: string): Promise<Response> {
  const query = new URLSearchParams({
    client_id: 'todo-ui',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    state: 'state-1',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  return fetch(`${issuer}/protocol/openid-connect/auth?${query}`, { redirect: 'manual' });
}

/** `username` (alice unless named) signed in as `todo-cli` by the password grant (a session the IdP can end). */
export function passwordGrant(issuer: string, username = 'alice'): Promise<Response> {
  return fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'todo-cli',
      username,
      password: username,
      scope: 'openid',
    }),
  });
}

/** Ends the session of `refreshToken` at the IdP, which then sends its back-channel logouts. */
export function endSession(issuer: string, refreshToken: string): Promise<Response> {
  return fetch(`${issuer}/protocol/openid-connect/logout`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: 'todo-cli', refresh_token: refreshToken }),
  });
}
