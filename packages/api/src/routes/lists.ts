// Over 300 lines: every list route (the list, its todos, its members) sits here so that each
// route's requirement stands beside it; splitting it by sub-resource is planned with the todos
// feature folder.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ListAction } from '../authz/app-policy.js';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import type { Owner } from '../db/schema.js';
import { ApiError } from '../http/problem.js';
import { auditRepository } from '../repositories/audit.js';
import { createTodo } from '../repositories/create-todo.js';
import { type List as ListRecord, listRepository } from '../repositories/lists.js';
import { ownerRepository } from '../repositories/owners.js';
import { todoRepository } from '../repositories/todos.js';
import { problems } from '../schemas/common.js';
import {
  List,
  ListArray,
  ListName,
  ListParams,
  Member,
  MemberArray,
  MemberParams,
  Share,
} from '../schemas/list.js';
import { SECURED } from '../schemas/security.js';
import { CreateListTodo, ListTodosQuery, Todo, TodoPage } from '../schemas/todo.js';
import { ownerOf, principalOf, profileOf } from './principal.js';

const TAGS = ['lists'];
const listId = (request: { params: { id: string } }) => request.params.id.toLowerCase();

/**
 * `/lists/…`: lists, their todos and their members. Who may do what is the app policy's
 * relation table (`authz/app-policy.ts`): a list the caller is not a member of answers 404
 * like a missing one, one they may read but not act on answers 403. Every write, the
 * caller's profile and the audit record commit together.
 */
export function listRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { db, clock, access } = context;
  const lists = listRepository(db);
  const todos = todoRepository(db);
  const owners = ownerRepository(db);
  const audit = auditRepository(db);

  /** The list with the caller's relation, once the relation allows `action`. */
  async function authorize(request: FastifyRequest, id: string, action: ListAction) {
    const principal = principalOf(request);
    const list = await lists.get(ownerOf(principal), id);
    await access.require(principal, 'list', action, id, list?.relation);
    // An external decision point may allow what this database has no membership for.
    if (!list) throw new ApiError('not_found', 'No such list');
    return list;
  }

  /** One write, the caller's profile and its audit record, all or nothing. */
  function write<T>(
    request: FastifyRequest,
    action: string,
    resource: string,
    change: (tx: typeof db.kysely, now: Date) => Promise<T>,
  ): Promise<T> {
    const principal = principalOf(request);
    const now = clock.now();
    return db.kysely.transaction().execute(async (tx) => {
      const result = await change(tx, now);
      await owners.touch(profileOf(principal), now, tx);
      await audit.record(
        {
          actor: ownerOf(principal),
          action,
          resource,
          outcome: 'success',
          requestId: request.id,
        },
        now,
        tx,
      );
      return result;
    });
  }

  /** Someone the API knows by this username or email; 404 when nobody. */
  async function person(request: FastifyRequest, handle: string): Promise<Owner> {
    const [found] = await lists.findPeople(handle, principalOf(request).issuer);
    if (!found) throw new ApiError('not_found', `No person known as ${handle}`);
    return found;
  }

  return async (app) => {
    app.get(
      '/lists/',
      {
        config: requires({ permission: 'todos:read' }),
        schema: {
          tags: TAGS,
          operationId: 'listLists',
          summary: 'The lists you can read: your own and those shared with you',
          security: SECURED,
          response: { 200: ListArray, ...problems(401, 403, 503) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        await lists.ensureDefault(profileOf(principal), clock.now());
        return lists.listFor(ownerOf(principal));
      },
    );

    app.post(
      '/lists/',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'createList',
          summary: 'Create a list; you are its owner',
          security: SECURED,
          body: ListName,
          response: { 201: List, ...problems(400, 401, 403, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const me = ownerOf(principalOf(request));
        const list = await write(request, 'list.create', 'list', (tx, now) =>
          lists.create(me, request.body.name, now, tx),
        );
        return reply.code(201).header('location', `/lists/${list.id}`).send(list);
      },
    );

    app.get(
      '/lists/:id',
      {
        config: requires({ permission: 'todos:read' }),
        schema: {
          tags: TAGS,
          operationId: 'getList',
          summary: 'One list you can read',
          security: SECURED,
          params: ListParams,
          response: { 200: List, ...problems(400, 401, 403, 404, 503) },
        },
      },
      async (request) => authorize(request, listId(request), 'can_read'),
    );

    app.patch(
      '/lists/:id',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'renameList',
          summary: 'Rename a list (owner)',
          security: SECURED,
          params: ListParams,
          body: ListName,
          response: { 200: List, ...problems(400, 401, 403, 404, 413, 415, 503) },
        },
      },
      async (request) => {
        const id = listId(request);
        await authorize(request, id, 'can_update');
        await write(request, 'list.rename', `list:${id}`, (tx, now) =>
          lists.rename(id, request.body.name, now, tx),
        );
        return (await lists.get(ownerOf(principalOf(request)), id)) as ListRecord;
      },
    );

    app.delete(
      '/lists/:id',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'deleteList',
          summary: 'Delete a list with its todos (owner); the default list cannot be deleted',
          security: SECURED,
          params: ListParams,
          response: {
            204: { type: 'null', description: 'Deleted' },
            ...problems(400, 401, 403, 404, 409, 503),
          },
        },
      },
      async (request, reply) => {
        const id = listId(request);
        const list = await authorize(request, id, 'can_delete');
        if (list.isDefault) {
          throw new ApiError('conflict', 'The default list cannot be deleted');
        }
        await write(request, 'list.delete', `list:${id}`, (tx) => lists.remove(id, tx));
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/lists/:id/todos/',
      {
        config: requires({ permission: 'todos:read' }),
        schema: {
          tags: TAGS,
          operationId: 'listListTodos',
          summary: 'The todos of one list, newest first (viewer or above)',
          security: SECURED,
          params: ListParams,
          querystring: ListTodosQuery,
          response: { 200: TodoPage, ...problems(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const id = listId(request);
        await authorize(request, id, 'can_read');
        const { completed, limit = 20, cursor } = request.query;
        return todos.list(ownerOf(principalOf(request)), {
          listId: id,
          limit,
          ...(completed !== undefined && { completed }),
          ...(cursor !== undefined && { cursor }),
        });
      },
    );

    app.post(
      '/lists/:id/todos/',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'createListTodo',
          summary: 'Create a todo in a list (editor or owner)',
          security: SECURED,
          params: ListParams,
          body: CreateListTodo,
          response: { 201: Todo, ...problems(400, 401, 403, 404, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const id = listId(request);
        await authorize(request, id, 'can_create_todo');
        const principal = principalOf(request);
        const todo = await createTodo(
          db,
          profileOf(principal),
          request.body,
          {
            actor: ownerOf(principal),
            action: 'todo.create',
            outcome: 'success',
            requestId: request.id,
          },
          clock.now(),
          { lists, listId: id },
        );
        return reply.code(201).header('location', `/todos/${todo.id}`).send(todo);
      },
    );

    app.get(
      '/lists/:id/members',
      {
        config: requires({ permission: 'todos:read' }),
        schema: {
          tags: TAGS,
          operationId: 'listMembers',
          summary: 'Who a list is shared with, owner first (viewer or above)',
          security: SECURED,
          params: ListParams,
          response: { 200: MemberArray, ...problems(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const id = listId(request);
        await authorize(request, id, 'can_read');
        return lists.members(id);
      },
    );

    app.put(
      '/lists/:id/members/:username',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'shareList',
          summary:
            'Share a list with someone as editor or viewer, or change their relation (owner)',
          security: SECURED,
          params: MemberParams,
          body: Share,
          response: { 200: Member, ...problems(400, 401, 403, 404, 409, 413, 415, 503) },
        },
      },
      async (request) => {
        const id = listId(request);
        await authorize(request, id, 'can_share');
        const target = await person(request, request.params.username);
        if ((await lists.relation(target, id)) === 'owner') {
          throw new ApiError('conflict', 'The owner of a list stays its owner');
        }
        const { relation } = request.body;
        await write(request, 'list.share', `list:${id}`, (tx, now) =>
          lists.setMember(id, target, relation, now, tx),
        );
        const members = await lists.members(id);
        return members.find((m) => m.sub === target.subject && m.relation === relation);
      },
    );

    app.delete(
      '/lists/:id/members/:username',
      {
        config: requires({ permission: 'todos:write' }),
        schema: {
          tags: TAGS,
          operationId: 'removeMember',
          summary: 'Remove someone from a list (owner), or leave it yourself',
          security: SECURED,
          params: MemberParams,
          response: {
            204: { type: 'null', description: 'Removed' },
            ...problems(400, 401, 403, 404, 409, 503),
          },
        },
      },
      async (request, reply) => {
        const id = listId(request);
        const me = ownerOf(principalOf(request));
        const mine = await lists.relation(me, id);
        const target = await person(request, request.params.username);
        const self = target.issuer === me.issuer && target.subject === me.subject;
        // Leaving needs only membership; removing someone else is sharing (owner).
        await access.require(
          principalOf(request),
          'list',
          self ? 'can_read' : 'can_share',
          id,
          mine,
        );
        const theirs = self ? mine : await lists.relation(target, id);
        if (theirs === undefined) {
          throw new ApiError('not_found', `${request.params.username} is not a member`);
        }
        if (theirs === 'owner') {
          throw new ApiError('conflict', 'The owner cannot leave their own list');
        }
        await write(request, self ? 'list.leave' : 'list.unshare', `list:${id}`, (tx) =>
          lists.removeMember(id, target, tx),
        );
        return reply.code(204).send(null);
      },
    );
  };
}
