/**
 * The API started on a PostgreSQL it cannot use says, in one line, which part of DATABASE_URL to
 * check or what to create or grant, and never repeats the password: a wrong password, a database
 * that does not exist, one the user may not create tables in (PostgreSQL 15's `public`), nothing
 * listening on the port. A password whose `/`, `?`, `#` or `%` was not percent-encoded (what
 * `openssl rand -base64` makes) is a configuration error (exit 78), not "Invalid URL".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, TLSSocket } from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, TEST_DATABASE_URL } from './support/databases.js';
import { startToExit } from './support/start-to-exit.js';

function start(databaseUrl: string): ReturnType<typeof startToExit> {
  return startToExit({
    // Never fetched: the database is opened first.
    OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
    API_PUBLIC_URL: 'https://api.example.com',
    OIDC_CLIENT_ID: 'todo-api',
    OIDC_CLIENT_SECRET: 'todo-api-secret',
    DATABASE_URL: databaseUrl,
  });
}

function withUrl(change: (url: URL) => void): string {
  const url = new URL(TEST_DATABASE_URL);
  change(url);
  return url.toString();
}

const location = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
};

describe.skipIf(!postgresAvailable)('the API on a PostgreSQL it cannot use', () => {
  const notOwned = `todo_api_not_owned_${process.pid}`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    // A database whose schema the user may not create in, as in a database another role owns
    // under PostgreSQL 15's defaults (only the owner creates in `public`).
    await admin.query(`CREATE DATABASE ${notOwned}`);
    const other = new pg.Client({ connectionString: withUrl((u) => (u.pathname = notOwned)) });
    await other.connect();
    try {
      await other.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC, pg_database_owner');
    } finally {
      await other.end();
    }
  }, 30_000);

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${notOwned} WITH (FORCE)`).catch(() => {});
    await admin.end();
  });

  it('a wrong password: check the user name and password in DATABASE_URL', async () => {
    const url = withUrl((u) => (u.password = 'hunter2-wrong'));
    const run = await start(url);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      `todo-api: failed to start: the database in DATABASE_URL (${location(url)}) cannot be used: password authentication failed for user "${new URL(url).username}"; check the user name and password in DATABASE_URL (characters other than letters, digits and - . _ ~ in them must be percent-encoded)`,
    ]);
    expect(run.lines.join('\n')).not.toContain('hunter2');
  });

  it('a database that does not exist: how to create it', async () => {
    const url = withUrl((u) => (u.pathname = '/todo_sso_missing_db'));
    const run = await start(url);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      expect.stringMatching(
        /^todo-api: failed to start: the database in DATABASE_URL \(.*\/todo_sso_missing_db\) cannot be used: database "todo_sso_missing_db" does not exist; create it \(as PostgreSQL's superuser: CREATE DATABASE "todo_sso_missing_db" OWNER ".+"\)/,
      ),
    ]);
  });

  it('a database the user may not create tables in: make it the owner', async () => {
    const url = withUrl((u) => (u.pathname = `/${notOwned}`));
    const run = await start(url);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^todo-api: failed to start: the database in DATABASE_URL \\(.*/${notOwned}\\) cannot be used: permission denied for schema public; .*ALTER DATABASE "${notOwned}" OWNER TO`,
        ),
      ),
    ]);
  });

  it('a port nothing listens on: check the host and port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const url = withUrl((u) => {
      u.hostname = '127.0.0.1';
      u.port = String(port);
    });
    const run = await start(url);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      `todo-api: failed to start: the database in DATABASE_URL (127.0.0.1:${port}${new URL(url).pathname}) cannot be used: connect ECONNREFUSED 127.0.0.1:${port}; nothing accepts connections at 127.0.0.1:${port}: check the host and port in DATABASE_URL, and that PostgreSQL runs and listens there (listen_addresses)`,
    ]);
  });
});

describe('a DATABASE_URL whose password was not percent-encoded', () => {
  it.each([
    ['a /', 'postgres://todo:hunter2/x+y=@127.0.0.1:5432/todo', 'cannot be read as a URL'],
    ['a ?', 'postgres://todo:12?hunter2@127.0.0.1:5432/todo', 'has an @ after the host'],
    ['a #', 'postgres://todo:12#hunter2@127.0.0.1:5432/todo', 'has an @ after the host, or a #'],
    ['a %', 'postgres://todo:hunter2%zz@127.0.0.1:5432/todo', 'has a % not followed'],
  ])(
    'with %s stops the API as a configuration error, without the password',
    async (_, url, what) => {
      const run = await start(url);
      expect(run.code).toBe(78);
      expect(run.lines).toHaveLength(1);
      expect(run.lines[0]).toMatch(
        new RegExp(`^todo-api: configuration error: DATABASE_URL: ${what}.*percent-encode`),
      );
      expect(run.lines[0]).not.toContain('hunter2');
    },
  );
});

/**
 * A server that answers PostgreSQL's SSLRequest (the first 8 bytes a client sends when
 * DATABASE_URL has sslmode) the way a real one does: 'N' without TLS, 'S' then a TLS handshake.
 */
async function sslRequestServer(answer: 'N' | { key: Buffer; cert: Buffer }): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      if (answer === 'N') {
        socket.write('N');
        return;
      }
      socket.write('S');
      const tls = new TLSSocket(socket, {
        isServer: true,
        secureContext: createSecureContext(answer),
      });
      tls.on('error', () => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('a DATABASE_URL that asks for TLS', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  it('at a server that offers none: turn ssl on there, or remove sslmode', async () => {
    const server = await sslRequestServer('N');
    servers.push(server);
    const { port } = server.address() as { port: number };
    const run = await start(`postgres://todo:hunter2@127.0.0.1:${port}/todo?sslmode=verify-full`);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      `todo-api: failed to start: the database in DATABASE_URL (127.0.0.1:${port}/todo) cannot be used: The server does not support SSL connections; DATABASE_URL asks for TLS (sslmode) but this PostgreSQL offers none: turn on ssl at the server (ssl = on, with its certificate), or, for a server reached only over loopback or a private network you trust, remove sslmode from DATABASE_URL`,
    ]);
  });

  it.skipIf(!hasOpenssl)(
    'at a server whose certificate this host does not trust: give the API its CA',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'todo-api-pg-tls-'));
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
            '-keyout',
            join(dir, 'key.pem'),
            '-out',
            join(dir, 'cert.pem'),
          ],
          { stdio: 'ignore' },
        );
        const server = await sslRequestServer({
          key: readFileSync(join(dir, 'key.pem')),
          cert: readFileSync(join(dir, 'cert.pem')),
        });
        servers.push(server);
        const { port } = server.address() as { port: number };
        const run = await start(
          `postgres://todo:hunter2@127.0.0.1:${port}/todo?sslmode=verify-full`,
        );
        expect(run.code).toBe(1);
        expect(run.lines).toEqual([
          expect.stringMatching(
            new RegExp(
              `^todo-api: failed to start: the database in DATABASE_URL \\(127\\.0\\.0\\.1:${port}/todo\\) cannot be used: .*; the API does not trust PostgreSQL's TLS certificate: give it the CA that signed it \\(sslrootcert=`,
            ),
          ),
        ]);
        expect(run.lines.join('\n')).not.toContain('hunter2');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
