import type { Principal } from '@todo-sso/auth';
import { decideAccess } from '../authz/app-policy.js';
import type { AppContext } from '../context.js';
import type { Owner, Relation } from '../db/schema.js';
import { ApiError } from '../http/problem.js';
import { listRepository } from '../lists/repository.js';
import { type AuditInput, auditRepository } from '../repositories/audit.js';
import { ownerRepository } from '../repositories/owners.js';
import { ownerOf, profileOf } from '../routes/principal.js';
import { createTodo } from '../todos/create.js';
import { type Todo, type TodoInput, todoRepository } from '../todos/repository.js';

/** Who calls a tool: the verified principal, and the request id for the audit log. */
export interface Caller {
  readonly principal: Principal;
  readonly requestId: string;
}

/** A refusal or a failure of a tool, with the stable reason code the client sees. */
export class ToolRefusal extends Error {
  override readonly name = 'ToolRefusal';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * What the MCP tools do, through the same repositories and access checks as the REST routes:
 * a list the caller cannot read is `not_found`, one they can read but not change `forbidden`
 * (with the core's `relation_missing` reason); every write commits with its audit record, which
 * names the client (`azp`) that made it.
 */
export function mcpOperations(context: AppContext) {
  const { db, clock, access } = context;
  const todos = todoRepository(db);
  const lists = listRepository(db);
  const owners = ownerRepository(db);
  const audit = auditRepository(db);

  const auditOf = (caller: Caller, action: string): Omit<AuditInput, 'resource'> => ({
    actor: ownerOf(caller.principal),
    client: caller.principal.clientId,
    action,
    outcome: 'success',
    requestId: caller.requestId,
  });

  /** The access check of the routes; a local refusal also carries the core's reason. */
  async function require(
    caller: Caller,
    type: 'list' | 'todo',
    action: Parameters<AppContext['access']['require']>[2],
    id: string,
    relation: Relation | undefined,
  ): Promise<void> {
    try {
      await access.require(caller.principal, type, action, id, relation);
    } catch (error) {
      if (!(error instanceof ApiError) || access.remote) throw error;
      const decision = decideAccess(caller.principal, type, action, id, relation);
      const reason = decision.allowed ? undefined : decision.reason;
      throw new ToolRefusal(error.code, error.status, error.message, reason);
    }
  }

  /** One change, the caller's profile and its audit record, all or nothing. */
  function write<T>(
    caller: Caller,
    action: string,
    resource: string,
    change: (tx: typeof db.kysely, now: Date) => Promise<T | undefined | false>,
  ): Promise<T | undefined | false> {
    const now = clock.now();
    return db.kysely.transaction().execute(async (tx) => {
      const result = await change(tx, now);
      if (result === undefined || result === false) return result;
      await owners.touch(profileOf(caller.principal), now, tx);
      await audit.record({ ...auditOf(caller, action), resource }, now, tx);
      return result;
    });
  }

  /** A todo the caller could not change: 403 when they can read it, else 404. */
  async function refusedTodo(caller: Caller, id: string, action: 'can_update' | 'can_delete') {
    const held = await todos.access(ownerOf(caller.principal), id);
    await require(caller, 'todo', action, id, held?.relation);
    return new ToolRefusal('not_found', 404, 'No such todo');
  }

  return {
    async listLists(caller: Caller) {
      await lists.ensureDefault(profileOf(caller.principal), clock.now());
      return lists.listFor(ownerOf(caller.principal));
    },

    async listTodos(
      caller: Caller,
      query: { listId?: string; completed?: boolean; limit?: number; cursor?: string },
    ) {
      const me = ownerOf(caller.principal);
      await lists.ensureDefault(profileOf(caller.principal), clock.now());
      const listId = query.listId?.toLowerCase();
      if (listId !== undefined)
        await require(caller, 'list', 'can_read', listId, await lists.relation(me, listId));
      return todos.list(me, {
        limit: query.limit ?? 20,
        ...(listId !== undefined && { listId }),
        ...(query.completed !== undefined && { completed: query.completed }),
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      });
    },

    async createTodo(caller: Caller, input: TodoInput & { listId?: string }): Promise<Todo> {
      const { listId: requested, ...fields } = input;
      const listId = requested?.toLowerCase();
      if (listId !== undefined) {
        const held = await lists.relation(ownerOf(caller.principal), listId);
        await require(caller, 'list', 'can_create_todo', listId, held);
      }
      return createTodo(
        db,
        profileOf(caller.principal),
        fields,
        auditOf(caller, 'todo.create'),
        clock.now(),
        { lists, listId },
      );
    },

    async updateTodo(caller: Caller, id: string, changes: Partial<TodoInput>): Promise<Todo> {
      const todoId = id.toLowerCase();
      const me = ownerOf(caller.principal);
      const todo = await write(caller, 'todo.update', `todo:${todoId}`, (tx, now) =>
        todos.update(me, todoId, changes, now, tx),
      );
      if (!todo) throw await refusedTodo(caller, todoId, 'can_update');
      return todo;
    },

    async deleteTodo(caller: Caller, id: string): Promise<void> {
      const todoId = id.toLowerCase();
      const me = ownerOf(caller.principal);
      const deleted = await write(caller, 'todo.delete', `todo:${todoId}`, (tx) =>
        todos.remove(me, todoId, tx),
      );
      if (!deleted) throw await refusedTodo(caller, todoId, 'can_delete');
    },

    async shareList(caller: Caller, id: string, username: string, relation: 'editor' | 'viewer') {
      const listId = id.toLowerCase();
      const me = ownerOf(caller.principal);
      const list = await lists.get(me, listId);
      await require(caller, 'list', 'can_share', listId, list?.relation);
      if (!list) throw new ToolRefusal('not_found', 404, 'No such list');
      const [target]: Owner[] = await lists.findPeople(username, caller.principal.issuer);
      if (!target) throw new ToolRefusal('not_found', 404, `No person known as ${username}`);
      if ((await lists.relation(target, listId)) === 'owner')
        throw new ToolRefusal('conflict', 409, 'The owner of a list stays its owner');
      await write(caller, 'list.share', `list:${listId}`, async (tx, now) => {
        await lists.setMember(listId, target, relation, now, tx);
        return true;
      });
      const members = await lists.members(listId);
      return members.find((m) => m.sub === target.subject && m.relation === relation);
    },
  };
}

export type McpOperations = ReturnType<typeof mcpOperations>;
