/**
 * A PostgreSQL whose pg_hba.conf admits the API's user over TLS only (`hostssl` lines, as managed
 * PostgreSQL services and hardened servers have) refuses a DATABASE_URL without sslmode with
 * SQLSTATE 28000 and a message ending "no encryption". The API's start names the fix, sslmode,
 * rather than the user name or pg_hba.conf, which are right.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startToExit } from './support/start-to-exit.js';

/** A PostgreSQL ErrorResponse (protocol "Message Formats": 'E', length, fields, a final NUL). */
function errorResponse(fields: Record<string, string>): Buffer {
  const body = Buffer.concat([
    ...Object.entries(fields).map(([type, value]) => Buffer.from(`${type}${value}\0`)),
    Buffer.from([0]),
  ]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from('E'), length, body]);
}

/** Answers the first message (the StartupMessage of a client without sslmode) with `message`. */
async function refusingServer(message: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.end(errorResponse({ S: 'FATAL', V: 'FATAL', C: '28000', M: message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('a DATABASE_URL without sslmode at a PostgreSQL that admits TLS only', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  const start = (port: number) =>
    startToExit({
      // Never fetched: the database is opened first.
      OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
      API_PUBLIC_URL: 'https://api.example.com',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      DATABASE_URL: `postgres://todo:hunter2@127.0.0.1:${port}/todo`,
    });

  it.each([
    ['PostgreSQL 14 and later', 'no encryption'],
    ['PostgreSQL 13 and before', 'SSL off'],
  ])('names sslmode as the fix (%s)', async (_, tail) => {
    const refusal = `no pg_hba.conf entry for host "127.0.0.1", user "todo", database "todo", ${tail}`;
    const server = await refusingServer(refusal);
    servers.push(server);
    const { port } = server.address() as { port: number };
    const run = await start(port);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      `todo-api: failed to start: the database in DATABASE_URL (127.0.0.1:${port}/todo) cannot be used: ${refusal}; PostgreSQL admits todo to todo from this host over TLS only: add sslmode=verify-full to DATABASE_URL (?sslmode=verify-full, with sslrootcert=/path/to/ca.pem for a private CA)`,
    ]);
  });

  it('keeps the user and pg_hba.conf hint when the refusal is not about encryption', async () => {
    const refusal = 'role "todo" does not exist';
    const server = await refusingServer(refusal);
    servers.push(server);
    const { port } = server.address() as { port: number };
    const run = await start(port);
    expect(run.code).toBe(1);
    expect(run.lines[0]).toContain(
      `${refusal}; check the user name in DATABASE_URL, and that PostgreSQL's pg_hba.conf admits todo to todo from this host`,
    );
  });
});
