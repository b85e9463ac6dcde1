import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { JSON_UTF8 } from '../http/content-type.js';
import { etagOf, ifMatchAllows, PreconditionFailed } from '../http/etag.js';
import { IdempotencyKeyHeaders, idempotencyKeyOf } from '../http/idempotency-key.js';
import { ApiError } from '../http/problem.js';
import { ownerOf, principalOf, profileOf } from '../routes/principal.js';
import { problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { CREATE_TODO_RESPONSES } from '../todos/create-responses.js';
import * as keyed from '../todos/idempotency.js';
import { CreateListTodo, ListTodosQuery, TodoPage } from '../todos/schemas.js';
import { TodoService } from '../todos/service.js';
import { createListRoute } from './create-route.js';
import { List, ListArray, ListIfMatchHeaders, ListName, ListParams } from './schemas.js';
import { type ListService, listId, listService, nameOf, readBack } from './service.js';

const TAGS = ['lists'];

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/**
 * `/lists/…`: lists and their todos (members: `member-routes.ts`). Who may do what is the app
 * policy's relation table (`authz/app-policy.ts`), decided by the authorization core; every
 * list response carries the caller's allowed actions and the list's `ETag`.
 */
export function listRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const todos = new TodoService(context);
  const service = listService(context);

  return async (app) => {
    listListsRoute(app, context, service);
    createListRoute(app, context, service);
    getListRoute(app, service);
    renameListRoute(app, service);
    deleteListRoute(app, service);
    listTodosRoute(app, service, todos);
    createTodoRoute(app, service, todos);
  };
}

/** `GET /lists/`: the caller's lists, creating their default list on first use. */
function listListsRoute(app: App, context: AppContext, { lists, present }: ListService): void {
  const { clock } = context;
  app.get(
    '/lists/',
    {
      config: requires({ permission: 'todos:read' }),
      schema: {
        tags: TAGS,
        operationId: 'listLists',
        description:
          'Your own lists and those shared with you, each with your `relation`, whether it is your default list, its todo count and the actions you may take on it. Your default list is made on your first call. Needs `todos:read`.',
        summary: 'The lists you can read: your own and those shared with you',
        security: SECURED,
        response: { 200: ListArray, ...problems(401, 403, 503) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await lists.ensureDefault(profileOf(principal), clock.now());
      return present(request, await lists.listFor(ownerOf(principal)));
    },
  );
}

/**
 * `GET /lists/{id}`: one list with its `ETag`, the list's version. That tag validates the list's
 * own fields (its name), the ones a write's `If-Match` guards, not the whole body: `todoCount`,
 * the caller's `relation` and `actions` change without it. A strong validator changes whenever
 * the representation data does (RFC 9110 §8.8.1, §8.8.3), so the version cannot stand for this
 * body in `If-None-Match` (§13.1.2): a 304 would tell the client its stale copy is current. GET
 * evaluates `If-Match` only (stale: 412, §13.1.1) and always answers with the body.
 */
function getListRoute(app: App, { authorize, presentOne }: ListService): void {
  app.get(
    '/lists/:id',
    {
      config: requires({ permission: 'todos:read' }),
      schema: {
        tags: TAGS,
        operationId: 'getList',
        description:
          "One list with your relation, its todo count, the actions you may take on it and its `ETag`: the list's version, to send back in `If-Match` (not naming it: 412). The version moves only on a rename, while the todo count, your relation and actions change without it, so `If-None-Match` never answers 304 here: the body always comes. Needs `todos:read` and any relation to the list: one you cannot read is 404, exactly like a missing one.",
        sentHeaders: { 200: ['ETag'], 412: ['ETag'] },
        summary: 'One list you can read',
        security: SECURED,
        params: ListParams,
        response: { 200: List, ...problems(400, 401, 403, 404, 412, 503) },
      },
    },
    async (request, reply) => {
      const list = await authorize(request, listId(request), 'can_read');
      reply.header('etag', etagOf(list.version));
      const current = await presentOne(request, list);
      // RFC 9110 §13.2.2 step 1; `If-None-Match` (step 3) is not evaluated: see above.
      if (!ifMatchAllows(request.headers['if-match'], list.version))
        throw new PreconditionFailed('list', current);
      return reply.send(current);
    },
  );
}

/** `PATCH /lists/{id}`: renaming, under `If-Match` when sent (RFC 9110 §13.1.1). */
function renameListRoute(app: App, service: ListService): void {
  const { lists, authorize, presentOne, precondition, changedMeanwhile, write } = service;
  app.patch(
    '/lists/:id',
    {
      config: requires({ permission: 'todos:write' }),
      schema: {
        tags: TAGS,
        operationId: 'renameList',
        description:
          'Renames a list. Needs `todos:write` and the owner relation: an editor or viewer is 403, a list you cannot read 404. With `If-Match`, a list changed since is 412 with its current state and `ETag`.',
        sentHeaders: { 200: ['ETag'], 412: ['ETag'] },
        summary: 'Rename a list (owner)',
        security: SECURED,
        params: ListParams,
        body: ListName,
        headers: ListIfMatchHeaders,
        response: { 200: List, ...problems(400, 401, 403, 404, 412, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const [id, name] = [listId(request), nameOf(request.body)];
      const expected = await precondition(request, await authorize(request, id, 'can_update'));
      // Read back in its transaction: after the commit, a change made meanwhile would be answered
      // with its ETag, and the next If-Match would overwrite it unseen (RFC 9110 §13.1.1).
      const list = await write(request, 'list.rename', `list:${id}`, async (tx, now) =>
        (await lists.rename(id, name, now, tx, expected))
          ? readBack(lists, request, id, tx)
          : undefined,
      );
      if (!list) return changedMeanwhile(request, id);
      return reply.header('etag', etagOf(list.version)).send(await presentOne(request, list));
    },
  );
}

/** `DELETE /lists/{id}`: deleting a list with its todos, never the default one. */
function deleteListRoute(app: App, service: ListService): void {
  const { lists, authorize, precondition, changedMeanwhile, write } = service;
  app.delete(
    '/lists/:id',
    {
      config: requires({ permission: 'todos:write' }),
      schema: {
        tags: TAGS,
        operationId: 'deleteList',
        description:
          'Deletes a list with all its todos and shares; 204 with no body. Needs `todos:write` and the owner relation (an editor or viewer is 403, a list you cannot read 404); your default list is 409 `conflict`. With `If-Match`, a list changed since is 412.',
        sentHeaders: { 412: ['ETag'] },
        summary: 'Delete a list with its todos (owner); the default list cannot be deleted',
        security: SECURED,
        params: ListParams,
        headers: ListIfMatchHeaders,
        response: {
          204: { type: 'null', description: 'Deleted' },
          ...problems(400, 401, 403, 404, 409, 412, 503),
        },
      },
    },
    async (request, reply) => {
      const id = listId(request);
      const list = await authorize(request, id, 'can_delete');
      if (list.isDefault) {
        throw new ApiError('conflict', 'The default list cannot be deleted');
      }
      const expected = await precondition(request, list);
      const removed = await write(request, 'list.delete', `list:${id}`, (tx) =>
        lists.remove(id, tx, expected),
      );
      if (!removed) return changedMeanwhile(request, id);
      return reply.code(204).send(null);
    },
  );
}

/** `GET /lists/{id}/todos/`: one list's todos, a page at a time. */
function listTodosRoute(app: App, { authorize }: ListService, todos: TodoService): void {
  app.get(
    '/lists/:id/todos/',
    {
      config: requires({ permission: 'todos:read' }),
      schema: {
        tags: TAGS,
        operationId: 'listListTodos',
        description:
          'The todos of one list, newest first, a page at a time (as `GET /todos/`, for one list). Needs `todos:read` and any relation to the list: one you cannot read is 404, exactly like a missing one.',
        summary: 'The todos of one list, newest first (viewer or above)',
        security: SECURED,
        params: ListParams,
        querystring: ListTodosQuery,
        response: { 200: TodoPage, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const id = listId(request);
      await authorize(request, id, 'can_read');
      const { completed, limit = 20, cursor } = request.query;
      const query = { listId: id, completed, limit, cursor };
      // Already a `TodoPage` in JSON (see `pageBody`): sent as it is.
      const body = await todos.pageJson(ownerOf(principalOf(request)), query);
      return reply.type(JSON_UTF8).send(body);
    },
  );
}

/** `POST /lists/{id}/todos/`: a new todo in one list. */
function createTodoRoute(app: App, { authorize }: ListService, todos: TodoService): void {
  app.post(
    '/lists/:id/todos/',
    {
      config: requires({ permission: 'todos:write' }),
      schema: {
        tags: TAGS,
        operationId: 'createListTodo',
        description:
          'Creates a todo in this list and answers it with its `Location` and `ETag`. Needs `todos:write` and the editor or owner relation: a viewer is 403, a list you cannot read 404. With `Idempotency-Key`, a retry is answered with the first answer (`Idempotent-Replayed: true`) instead of creating a second todo; the key in flight is 409, reused for another request 422.',
        sentHeaders: { 201: ['Location', 'ETag'] },
        summary: 'Create a todo in a list (editor or owner)',
        security: SECURED,
        params: ListParams,
        body: CreateListTodo,
        headers: IdempotencyKeyHeaders,
        response: CREATE_TODO_RESPONSES,
      },
    },
    async (request, reply) => {
      const id = listId(request);
      const once = { key: idempotencyKeyOf(request), headers: keyed.createdTodoHeaders };
      await authorize(request, id, 'can_create_todo');
      const caller = { principal: principalOf(request), requestId: request.id };
      return keyed.sendCreated(reply, await todos.insertOnce(caller, id, request.body, once));
    },
  );
}
