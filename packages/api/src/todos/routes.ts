// Why this file is long: the five todo routes with their ETag / If-Match handling and their declared
// requirements, in one file so each route's schema and requirement sit beside its handler.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { TodoAction } from '../authz/app-policy.js';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { etagOf, ifMatchAllows, PreconditionFailed } from '../http/etag.js';
import { ApiError } from '../http/problem.js';
import { listRepository } from '../lists/repository.js';
import { auditRepository } from '../repositories/audit.js';
import { ownerRepository } from '../repositories/owners.js';
import { ownerOf, principalOf, profileOf } from '../routes/principal.js';
import { IdParams, problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { createTodo } from './create.js';
import { type Todo as TodoRecord, todoRepository } from './repository.js';
import {
  CreateTodo,
  IfMatchHeaders,
  PatchTodo,
  ReplaceTodo,
  Todo,
  TodoListQuery,
  TodoPage,
} from './schemas.js';

const notFound = () => new ApiError('not_found', 'No such todo');

/** A title of spaces alone says nothing: 400, named as the person typed it. */
function refuseBlankTitle(title: string | undefined): void {
  if (title === undefined || title.trim() !== '') return;
  const message = 'must contain a character other than spaces';
  throw new ApiError('validation_failed', `title ${message}`, {
    errors: [{ field: 'body.title', message }],
  });
}

/**
 * The todo id of the path, lower-cased: RFC 9562 §4 makes a UUID's hex digits case-insensitive
 * on input. PostgreSQL's `uuid` compares them so, SQLite's `text` would not: both engines get
 * the one spelling the API issues.
 */
const todoId = (request: { params: { id: string } }) => request.params.id.toLowerCase();
const TAGS = ['todos'];

/**
 * `/todos/`: the todos in every list the caller can read. Every query joins the caller's list
 * memberships in SQL, so a todo in a list they cannot read answers 404 exactly like a missing
 * one; one they can read but not change answers 403. Each write, its owner profile and its
 * audit record commit together or not at all.
 */
export function todoRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { db, clock, access } = context;
  const todos = todoRepository(db);
  const lists = listRepository(db);
  const owners = ownerRepository(db);
  const audit = auditRepository(db);

  return async (app) => {
    /**
     * RFC 9110 §13.1.1: with `If-Match`, the change applies only to the state the client saw.
     * Returns the version the change must still find (so a concurrent change in between is
     * caught by the write itself), or undefined when the request sent no `If-Match`.
     */
    async function precondition(
      request: FastifyRequest,
      id: string,
      tx: typeof db.kysely,
    ): Promise<number | undefined> {
      const header = request.headers['if-match'];
      if (header === undefined) return undefined;
      const current = await todos.get(ownerOf(principalOf(request)), id, tx);
      if (!current) return undefined;
      if (!ifMatchAllows(header, current.version)) throw new PreconditionFailed('todo', current);
      return current.version;
    }

    /** The write found another version than `precondition` checked: 412 with the new state. */
    async function changedMeanwhile(request: FastifyRequest, id: string): Promise<void> {
      if (request.headers['if-match'] === undefined) return;
      const current = await todos.get(ownerOf(principalOf(request)), id);
      if (current) throw new PreconditionFailed('todo', current);
    }

    async function write<T extends TodoRecord | boolean | undefined>(
      request: FastifyRequest,
      action: string,
      id: string | undefined,
      change: (tx: typeof db.kysely, now: Date) => Promise<T>,
    ): Promise<T> {
      const principal = principalOf(request);
      const now = clock.now();
      return db.kysely.transaction().execute(async (tx) => {
        const result = await change(tx, now);
        if (result === undefined || result === false) return result;
        await owners.touch(profileOf(principal), now, tx);
        const resource = typeof result === 'object' ? result.id : id;
        await audit.record(
          {
            actor: ownerOf(principal),
            action,
            resource: `todo:${resource}`,
            outcome: 'success',
            requestId: request.id,
          },
          now,
          tx,
        );
        return result;
      });
    }

    /** 403 when the caller can read the todo (so cannot change it), else 404. */
    async function refused(request: FastifyRequest, id: string, action: TodoAction) {
      const held = await todos.access(ownerOf(principalOf(request)), id);
      await access.require(principalOf(request), 'todo', action, id, held?.relation);
      return notFound();
    }

    /** With an external decision point, its answer comes before the (still scoped) query. */
    async function ask(request: FastifyRequest, id: string, action: TodoAction) {
      if (access.remote) await access.require(principalOf(request), 'todo', action, id, undefined);
    }

    app.get(
      '/todos/',
      {
        config: requires({ permission: 'todos:read' }),
        schema: {
          tags: TAGS,
          operationId: 'listTodos',
          summary: 'List the todos of every list you can read, newest first',
          security: SECURED,
          querystring: TodoListQuery,
          response: { 200: TodoPage, ...problems(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const { completed, list, limit = 20, cursor } = request.query;
        const principal = principalOf(request);
        const me = ownerOf(principal);
        await lists.ensureDefault(profileOf(principal), clock.now());
        const listId = list?.toLowerCase();
        if (listId !== undefined) {
          await access.require(
            principal,
            'list',
            'can_read',
            listId,
            await lists.relation(me, listId),
          );
        }
        return todos.list(me, {
          limit,
          ...(listId !== undefined && { listId }),
          ...(completed !== undefined && { completed }),
          ...(cursor !== undefined && { cursor }),
        });
      },
    );

    app.post(
      '/todos/',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'createTodo',
          summary: 'Create a todo',
          security: SECURED,
          body: CreateTodo,
          response: { 201: Todo, ...problems(400, 401, 403, 404, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        refuseBlankTitle(request.body.title);
        const principal = principalOf(request);
        const { listId: requested, ...input } = request.body;
        const listId = requested?.toLowerCase();
        if (listId !== undefined) {
          const held = await lists.relation(ownerOf(principal), listId);
          await access.require(principal, 'list', 'can_create_todo', listId, held);
        }
        const todo = await createTodo(
          db,
          profileOf(principal),
          input,
          {
            actor: ownerOf(principal),
            action: 'todo.create',
            outcome: 'success',
            requestId: request.id,
          },
          clock.now(),
          { lists, listId },
        );
        return reply
          .code(201)
          .header('location', `/todos/${todo.id}`)
          .header('etag', etagOf(todo.version))
          .send(todo);
      },
    );

    app.get(
      '/todos/:id',
      {
        config: requires({ permission: 'todos:read' }),
        schema: {
          tags: TAGS,
          operationId: 'getTodo',
          summary: 'Read a todo in a list you can read',
          security: SECURED,
          params: IdParams,
          response: { 200: Todo, ...problems(400, 401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        await ask(request, todoId(request), 'can_read');
        const todo = await todos.get(ownerOf(principalOf(request)), todoId(request));
        if (!todo) throw notFound();
        return reply.header('etag', etagOf(todo.version)).send(todo);
      },
    );

    app.put(
      '/todos/:id',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'replaceTodo',
          summary: 'Replace a todo in a list you can write',
          security: SECURED,
          params: IdParams,
          body: ReplaceTodo,
          headers: IfMatchHeaders,
          response: { 200: Todo, ...problems(400, 401, 403, 404, 412, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        refuseBlankTitle(request.body.title);
        const owner = ownerOf(principalOf(request));
        // A replacement sets every field: an omitted description is cleared.
        const changes = { ...request.body, description: request.body.description ?? null };
        const id = todoId(request);
        await ask(request, id, 'can_update');
        const todo = await write(request, 'todo.replace', id, async (tx, now) =>
          todos.update(owner, id, changes, now, tx, await precondition(request, id, tx)),
        );
        if (!todo) {
          await changedMeanwhile(request, id);
          throw await refused(request, id, 'can_update');
        }
        return reply.header('etag', etagOf(todo.version)).send(todo);
      },
    );

    app.patch(
      '/todos/:id',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'updateTodo',
          summary: 'Change some fields of a todo in a list you can write',
          security: SECURED,
          params: IdParams,
          body: PatchTodo,
          headers: IfMatchHeaders,
          response: { 200: Todo, ...problems(400, 401, 403, 404, 412, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        refuseBlankTitle(request.body.title);
        const owner = ownerOf(principalOf(request));
        const id = todoId(request);
        await ask(request, id, 'can_update');
        const todo = await write(request, 'todo.update', id, async (tx, now) =>
          todos.update(owner, id, request.body, now, tx, await precondition(request, id, tx)),
        );
        if (!todo) {
          await changedMeanwhile(request, id);
          throw await refused(request, id, 'can_update');
        }
        return reply.header('etag', etagOf(todo.version)).send(todo);
      },
    );

    app.delete(
      '/todos/:id',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'deleteTodo',
          headers: IfMatchHeaders,
          summary: 'Delete a todo in a list you can write',
          security: SECURED,
          params: IdParams,
          response: {
            204: { type: 'null', description: 'Deleted' },
            ...problems(400, 401, 403, 404, 412, 503),
          },
        },
      },
      async (request, reply) => {
        const owner = ownerOf(principalOf(request));
        const id = todoId(request);
        await ask(request, id, 'can_delete');
        const deleted = await write(request, 'todo.delete', id, async (tx) =>
          todos.remove(owner, id, tx, await precondition(request, id, tx)),
        );
        if (!deleted) {
          await changedMeanwhile(request, id);
          throw await refused(request, id, 'can_delete');
        }
        return reply.code(204).send(null);
      },
    );
  };
}
