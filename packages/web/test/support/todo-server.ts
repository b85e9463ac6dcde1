import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GrantEndState, grantEndRoutes, newGrantEndState } from './grant-end-routes.js';
import { type IdpUserState, idpUserRoutes, newIdpUserState } from './idp-user-routes.js';

/**
 * A small in-memory todo API over real HTTP, speaking the same routes and shapes as
 * `packages/api`, for component tests: it records every request and can refuse the next ones
 * on demand, so rollbacks and 401/403 handling are exercised through real `fetch` calls.
 */
export interface StoredTodo {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
  /** The list it is in, when a test tells lists apart (`lists`); else the one list. */
  listId?: string;
  /** When a test gives one: grows by one on every PATCH, as the API's does. */
  version?: number;
}

/** A list as `GET /lists/` answers it. */
export interface StoredList {
  id: string;
  name: string;
  relation: 'owner' | 'editor' | 'viewer';
  isDefault: boolean;
}

export interface Identity {
  sub: string;
  username: string;
  roles: string[];
  permissions: string[];
  department: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** The `DPoP` proof header (RFC 9449 §4.1), when sent. */
  dpop: string | undefined;
  /** The `Idempotency-Key` header as sent, when sent. */
  idempotencyKey: string | undefined;
  body: unknown;
}

interface Failure {
  match: (request: RecordedRequest) => boolean;
  status: number;
  delayMs: number;
  headers?: Record<string, string>;
  detail?: string;
}

export interface TodoServer {
  url: string;
  todos: StoredTodo[];
  requests: RecordedRequest[];
  identity: Identity;
  /** Accepted tokens (Bearer or DPoP scheme); anything else gets 401 `invalid_token`. */
  validTokens: Set<string>;
  /** The pending agent grant ends and the identity provider's answers (`grant-end-routes.ts`). */
  admin: GrantEndState;
  /** The identity provider's people, as `GET /admin/idp/users` pages them (`idp-user-routes.ts`). */
  idp: IdpUserState;
  /**
   * The todo each `Idempotency-Key` created, as the API keeps them: a repeat of the same
   * request is answered with it (`Idempotent-Replayed: true`), another request with 422.
   */
  keys: Map<string, { fingerprint: string; todo: StoredTodo }>;
  /** The people on the one list this server knows of (`GET /lists/{id}/members`). */
  members: Array<{ sub: string; username: string | null; relation: string }>;
  /**
   * The caller's lists (`GET /lists/`), when a test needs them; `/lists/{id}/todos/` then holds
   * the todos of that `listId` (and those without one). Unset: `GET /lists/` is 404.
   */
  lists?: StoredList[];
  /**
   * The next request matching `match` gets `status` (with `headers`, and `detail` in its
   * problem details) after `delayMs`; status 0 drops the connection without an answer.
   */
  failNext(
    match: (request: RecordedRequest) => boolean,
    status: number,
    delayMs?: number,
    headers?: Record<string, string>,
    detail?: string,
  ): void;
  /** The next request matching `match` is handled normally, but only after `delayMs`. */
  delayNext(match: (request: RecordedRequest) => boolean, delayMs: number): void;
  seed(count: number, make?: (i: number) => Partial<StoredTodo>): void;
  close(): Promise<void>;
}

const problem = (
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
  code?: string,
  detail?: string,
) => {
  res.writeHead(status, { 'Content-Type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title: `HTTP ${status}`, status, code, detail }));
};

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

export async function startTodoServer(identity: Partial<Identity> = {}): Promise<TodoServer> {
  const state: Omit<TodoServer, 'url' | 'close' | 'failNext' | 'delayNext' | 'seed'> = {
    todos: [],
    requests: [],
    identity: {
      sub: 'sub-alice',
      username: 'alice',
      roles: ['user'],
      permissions: ['todos:read', 'todos:write'],
      department: 'engineering',
      ...identity,
    },
    validTokens: new Set(['token-1']),
    admin: newGrantEndState(),
    idp: newIdpUserState(),
    keys: new Map(),
    members: [],
  };
  const failures: Failure[] = [];
  const delays: Array<{ match: Failure['match']; delayMs: number }> = [];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      dpop: typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      body: await readBody(req),
    };
    state.requests.push(recorded);

    const token = recorded.authorization?.replace(/^(Bearer|DPoP) /, '');
    if (!token || !state.validTokens.has(token)) {
      return problem(res, 401, {
        'WWW-Authenticate': 'Bearer realm="todo-api", error="invalid_token"',
      });
    }
    const failure = failures.findIndex((f) => f.match(recorded));
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      if (f) {
        await new Promise((r) => setTimeout(r, f.delayMs));
        // Status 0: no answer at all, the connection dropped (as when the network goes).
        if (f.status === 0) return void req.socket.destroy();
        return problem(res, f.status, f.headers, undefined, f.detail);
      }
    }

    const delay = delays.findIndex((d) => d.match(recorded));
    if (delay >= 0) {
      const [d] = delays.splice(delay, 1);
      await new Promise((r) => setTimeout(r, d?.delayMs));
    }

    const { identity: me } = state;
    const id = url.pathname.match(/^\/todos\/([^/]+)$/)?.[1];
    if (url.pathname === '/me')
      return json(res, 200, {
        ...me,
        issuer: 'http://idp',
        email: null,
        name: me.username,
        isAdmin: me.roles.includes('admin'),
      });
    // One list's todos: every stored todo belongs to the one list this server knows of.
    const listTodos = /^\/lists\/[^/]+\/todos\/$/.test(url.pathname);
    if (/^\/lists\/[^/]+\/members$/.test(url.pathname) && req.method === 'GET')
      return json(res, 200, state.members);
    const list = url.pathname.match(/^\/lists\/([^/]+)$/)?.[1];
    if (list && req.method === 'GET' && state.lists) {
      const found = state.lists.find((known) => known.id === list);
      return found ? json(res, 200, { ...found, version: 1, actions: [] }) : problem(res, 404);
    }
    if (url.pathname === '/lists/' && req.method === 'GET' && state.lists)
      return json(
        res,
        200,
        state.lists.map((list) => ({
          ...list,
          todoCount: 0,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
          version: 1,
          actions: [],
        })),
      );
    const listId = url.pathname.match(/^\/lists\/([^/]+)\/todos\/$/)?.[1];
    if ((url.pathname === '/todos/' || listTodos) && req.method === 'GET') {
      const completed = url.searchParams.get('completed');
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const cursor = url.searchParams.get('cursor');
      const matching = state.todos.filter(
        (t) =>
          (completed === null || String(t.completed) === completed) &&
          (listId === undefined || t.listId === undefined || t.listId === listId),
      );
      const start = cursor ? matching.findIndex((t) => t.id === cursor) + 1 : 0;
      const items = matching.slice(start, start + limit);
      const more = start + limit < matching.length;
      return json(res, 200, { items, nextCursor: more ? (items.at(-1)?.id ?? null) : null });
    }
    if (url.pathname === '/todos/' && req.method === 'POST') {
      const body = recorded.body as { title: string; description?: string | null; listId?: string };
      const key = recorded.idempotencyKey?.replace(/^"(.*)"$/, '$1');
      const fingerprint = JSON.stringify([body.listId, body.title, body.description ?? null]);
      const earlier = key === undefined ? undefined : state.keys.get(key);
      // As the API: the key of a todo deleted since answers 404, and creates nothing.
      if (earlier && !state.todos.some((todo) => todo.id === earlier.todo.id))
        return problem(res, 404, {}, 'idempotency_key_todo_deleted');
      if (earlier && earlier.fingerprint !== fingerprint) return problem(res, 422);
      if (earlier) {
        res.writeHead(201, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' });
        res.end(JSON.stringify(earlier.todo));
        return;
      }
      if (body.listId !== undefined && state.lists?.every((list) => list.id !== body.listId))
        return problem(res, 404);
      const now = new Date().toISOString();
      const todo: StoredTodo = {
        id: randomUUID(),
        title: body.title,
        description: body.description ?? null,
        completed: false,
        createdAt: now,
        updatedAt: now,
        ...(body.listId !== undefined && { listId: body.listId }),
      };
      state.todos.unshift(todo);
      if (key !== undefined) state.keys.set(key, { fingerprint, todo: { ...todo } });
      return json(res, 201, todo);
    }
    if (id) {
      const todo = state.todos.find((t) => t.id === id);
      if (!todo) return problem(res, 404);
      if (req.method === 'PATCH') {
        Object.assign(todo, recorded.body, {
          updatedAt: new Date().toISOString(),
          ...(todo.version !== undefined && { version: todo.version + 1 }),
        });
        return json(res, 200, todo);
      }
      if (req.method === 'DELETE') {
        state.todos = state.todos.filter((t) => t.id !== id);
        res.writeHead(204).end();
        return;
      }
    }
    if (idpUserRoutes(state.idp, recorded, res)) return;
    if (grantEndRoutes(state.admin, me.roles.includes('admin'), recorded, res)) return;
    if (url.pathname === '/reports/summary') {
      const department = url.searchParams.get('department') ?? me.department ?? '';
      const isAdmin = me.roles.includes('admin');
      if (!isAdmin && department !== me.department) return problem(res, 403);
      const done = state.todos.filter((t) => t.completed).length;
      return json(res, 200, {
        department,
        total: state.todos.length,
        completed: done,
        pending: state.todos.length - done,
      });
    }
    return problem(res, 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const result: TodoServer = Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    failNext(
      match: Failure['match'],
      status: number,
      delayMs = 0,
      headers: Record<string, string> = {},
      detail?: string,
    ) {
      failures.push({ match, status, delayMs, headers, detail });
    },
    delayNext(match: Failure['match'], delayMs: number) {
      delays.push({ match, delayMs });
    },
    seed(count: number, make: (i: number) => Partial<StoredTodo> = () => ({})) {
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (let i = 0; i < count; i++) {
        const at = new Date(base + i * 1000).toISOString();
        state.todos.push({
          id: randomUUID(),
          title: `Todo ${i + 1}`,
          description: null,
          completed: false,
          createdAt: at,
          updatedAt: at,
          ...make(i),
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return result;
}
