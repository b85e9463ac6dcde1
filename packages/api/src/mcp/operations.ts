import type { Principal } from '@todo-sso/auth';
import { writeAndAudit } from '../audit/write-and-audit.js';
import { type AppAction, type AppResourceType, decideAccess } from '../authz/app-policy.js';
import type { AppContext } from '../context.js';
import type { Relation } from '../db/schema.js';
import { etagOf } from '../http/etag.js';
import { ApiError } from '../http/problem.js';
import { listRepository } from '../lists/repository.js';
import { addMember, memberDetail, onePerson } from '../lists/service.js';
import { ownerOf, profileOf } from '../routes/principal.js';
import { todoLocation } from '../todos/idempotency.js';
import type { CreateTodo, PatchTodo, Todo } from '../todos/schemas.js';
import { type TodoCaller, TodoService } from '../todos/service.js';

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
    /** An authorization denial its status does not show (a 404): why, for the audit log. */
    readonly denial?: string,
  ) {
    super(message);
  }
}

/**
 * What the MCP tools do, through the REST routes' todo service, repositories and access checks:
 * a list the caller cannot read is `not_found`, one they can read but not change `forbidden`
 * (with the core's `relation_missing` reason); every write commits with its audit record
 * (`writeAndAudit`), which names the client (`azp`) that made it.
 */
export function mcpOperations(context: AppContext) {
  const { db, clock, access } = context;
  const lists = listRepository(db);

  /** The access check of the routes; a local refusal also carries the core's reason. */
  async function require(
    principal: Principal,
    type: AppResourceType,
    action: AppAction,
    id: string,
    relation: Relation | undefined,
  ): Promise<void> {
    try {
      await access.require(principal, type, action, id, relation);
    } catch (error) {
      if (!(error instanceof ApiError) || access.remote) throw error;
      const decision = decideAccess(principal, type, action, id, relation);
      const reason = decision.allowed ? undefined : decision.reason;
      throw new ToolRefusal(error.code, error.status, error.message, reason, error.denial);
    }
  }

  const todos = new TodoService(context, require);

  return {
    async listLists(caller: Caller) {
      await lists.ensureDefault(profileOf(caller.principal), clock.now());
      return lists.listFor(ownerOf(caller.principal));
    },

    listTodos: (
      caller: Caller,
      query: { listId?: string; completed?: boolean; limit?: number; cursor?: string },
    ) => todos.list(of(caller), pageQuery(query)),

    createTodo: (caller: Caller, input: CreateTodo, key?: string): Promise<Todo> =>
      createTodo(todos, of(caller), input, key),

    updateTodo: (caller: Caller, id: string, changes: PatchTodo): Promise<Todo> =>
      todos.change(of(caller), id, changes, { action: 'todo.update' }),

    deleteTodo: (caller: Caller, id: string): Promise<void> => todos.remove(of(caller), id),

    async shareList(caller: Caller, id: string, username: string, relation: 'editor' | 'viewer') {
      const listId = id.toLowerCase();
      const me = ownerOf(caller.principal);
      const list = await lists.get(me, listId);
      await require(caller.principal, 'list', 'can_share', listId, list?.relation);
      if (!list) throw new ToolRefusal('not_found', 404, 'No such list');
      const found = await lists.findPeople(username, caller.principal.issuer, listId);
      const target = onePerson(found, username, context.config.issuers.length > 1);
      if ((await lists.relation(target, listId)) === 'owner')
        throw new ToolRefusal('conflict', 409, 'The owner of a list stays its owner');
      const record = {
        actor: profileOf(caller.principal),
        action: 'list.share',
        resource: `list:${listId}`,
        detail: memberDetail(target, relation),
        requestId: caller.requestId,
        at: clock.now(),
      };
      const shared = await writeAndAudit(db, record, async (tx, now) => {
        // As `PUT /lists/{id}/members/{username}`: the list held until the commit (one deleted
        // meanwhile shares nothing, 404), and the answer is the person the handle named, not a
        // member read back by `sub` (another issuer's namesake, or gone meanwhile).
        if ((await lists.holdForWrite(undefined, listId, tx)) === undefined) return false;
        const share = { id: listId, person: target, relation, now };
        await addMember(lists, tx, share, context.config.maxSharedListsPerPerson);
        return true;
      });
      if (!shared) throw new ToolRefusal('not_found', 404, 'No such list');
      return { sub: target.subject, username: target.username, relation };
    },
  };
}

/**
 * A tool's caller as the todo service knows them (its audit records name the client, as every
 * write's record does). Built field by field, as the objects below: on Node 20 a property added
 * after a spread costs ~0.5 µs (bench/results/profile.md), on every tool call.
 */
const of = (caller: Caller): TodoCaller => ({
  principal: caller.principal,
  requestId: caller.requestId,
});

/** `list_todos`'s arguments as the todo service's query, 20 todos unless told. */
const pageQuery = (query: {
  listId?: string;
  completed?: boolean;
  limit?: number;
  cursor?: string;
}) => ({
  listId: query.listId,
  completed: query.completed,
  limit: query.limit ?? 20,
  cursor: query.cursor,
});

/**
 * A todo, once per `key` when given: the key is the REST routes' `Idempotency-Key`, the caller's
 * client's own (`todos/idempotency.ts`), and a retry is answered with the first answer. A
 * JSON-RPC request id cannot serve: it is unique within a session only (MCP, Basic,
 * "Requests"), the SDK's client counts from 0 in each connection, and a tool call sent again is
 * a new request with a new id.
 */
async function createTodo(
  todos: TodoService,
  caller: TodoCaller,
  input: CreateTodo,
  key: string | undefined,
): Promise<Todo> {
  if (key === undefined) return todos.create(caller, input);
  return (await todos.createOnce(caller, input, { key, headers: createdHeaders })).body;
}

/** The headers `POST /todos/` answers a new todo with, stored with a key's answer as there. */
const createdHeaders = (todo: Todo) => ({
  location: todoLocation(todo).location,
  etag: etagOf(todo.version),
});

export type McpOperations = ReturnType<typeof mcpOperations>;
