// Why this file is long: every todo operation the REST routes and the MCP tools share lives in
// this one service, so a tool is decided, checked and written exactly as its route.
import type { Principal } from '@todo-sso/auth';
import { writeAndAudit } from '../audit/write-and-audit.js';
import { writeOnceAndAudit } from '../audit/write-once.js';
import type { TodoAction } from '../authz/app-policy.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/database.js';
import { idExists } from '../db/exists.js';
import type { Owner } from '../db/schema.js';
import {
  isConditional,
  needsVersion,
  PreconditionFailed,
  type Preconditions,
  preconditionsAllow,
} from '../http/etag.js';
import { ApiError } from '../http/problem.js';
import { type ListRepository, listRepository } from '../lists/repository.js';
import { ownerOf, profileOf } from '../routes/principal.js';
import {
  BLANK_MESSAGE,
  isBlank,
  LINE_PATTERN,
  LINE_PATTERN_MESSAGE,
  MULTILINE_PATTERN,
  MULTILINE_PATTERN_MESSAGE,
} from '../schemas/common.js';
import { claimAndInsert } from './claim-insert.js';
import { forgetDeletedTodo } from './forget-keys.js';
import {
  type CreateContent,
  type CreatedAnswer,
  createdAnswer,
  type KeyedCreate,
  KeyRecord,
  keyOwnerOf,
} from './idempotency.js';
import { newTodoRow, type TodoRepository, todoRepository, toTodo, WRITERS } from './repository.js';
import type { CreateTodo, PatchTodo, Todo, TodoInput, TodoPage } from './schemas.js';

/** Who asks: the verified caller and the request, as the audit log records them. */
export interface TodoCaller {
  readonly principal: Principal;
  readonly requestId: string;
}

/** The access check: throws 404 or 403 unless allowed (`AccessGuard.require`'s shape). */
export type AccessCheck = AppContext['access']['require'];

/** What a listing asks for. */
export interface TodoQuery {
  readonly listId?: string | undefined;
  readonly completed?: boolean | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** A write's `If-Match` and `If-None-Match` (RFC 9110 §13.1.1, §13.1.2), when sent. */
type IfMatch = Preconditions | undefined;

const notFound = () => new ApiError('not_found', 'No such todo');

const LINE = new RegExp(LINE_PATTERN, 'u');
const MULTILINE = new RegExp(MULTILINE_PATTERN, 'u');

/**
 * The text rules of a todo, checked again here because the MCP tools reach the service without
 * the routes' schemas: a title is one line ({@link LINE_PATTERN}) with a visible character
 * (not {@link isBlank}), a description may hold tabs and line breaks ({@link MULTILINE_PATTERN}). Anything
 * else is the 400 of a schema failure, naming the field as the REST body does, so a request is
 * refused alike on every engine and through every door.
 */
export function refuseInvalidText(input: {
  readonly title?: string | undefined;
  readonly description?: string | null | undefined;
}): void {
  const errors: { field: string; message: string }[] = [];
  const { title, description } = input;
  if (title !== undefined && !LINE.test(title))
    errors.push({ field: 'body.title', message: LINE_PATTERN_MESSAGE });
  else if (title !== undefined && isBlank(title))
    errors.push({ field: 'body.title', message: BLANK_MESSAGE });
  if (typeof description === 'string' && !MULTILINE.test(description))
    errors.push({ field: 'body.description', message: MULTILINE_PATTERN_MESSAGE });
  if (errors.length === 0) return;
  const detail = errors.map((e) => `${e.field.slice('body.'.length)} ${e.message}`).join('; ');
  throw new ApiError('validation_failed', detail, { errors });
}

/**
 * What can be done with todos, for the REST routes and the MCP tools alike. Every query joins
 * the caller's list memberships in SQL, so a todo in a list they cannot read answers 404 like a
 * missing one, and one they can read but not change 403 (decided by `check`, the app's access
 * guard unless the caller wraps it). With an external decision point, its answer comes before
 * the (still scoped) query. Every write commits with the caller's profile and its audit record
 * (`writeAndAudit`), or not at all. Ids are lower-cased: RFC 9562 §4 makes a UUID's hex digits
 * case-insensitive on input, and both engines then compare the one spelling the API issues.
 */
export class TodoService {
  readonly #context: AppContext;
  readonly #check: AccessCheck;
  readonly #todos: TodoRepository;
  readonly #lists: ListRepository;

  constructor(context: AppContext, check: AccessCheck = context.access.require) {
    this.#context = context;
    this.#check = check;
    this.#todos = todoRepository(context.db);
    this.#lists = listRepository(context.db);
  }

  /** The todos of every list the caller can read (or of `listId`), newest first. */
  async list(caller: TodoCaller, query: TodoQuery): Promise<TodoPage> {
    return this.#todos.list(...(await this.#listing(caller, query)));
  }

  /** `list`'s page as the JSON of its response body (a `TodoPage`: text, or its UTF-8 bytes on SQLite). */
  async listJson(caller: TodoCaller, query: TodoQuery): Promise<string | Buffer> {
    return this.#todos.listJson(...(await this.#listing(caller, query)));
  }

  /** One page for a member whose access to `listId` the caller's route has already checked. */
  page(member: Owner, query: TodoQuery): Promise<TodoPage> {
    return this.#todos.list(member, query);
  }

  /** `page` as the JSON of its response body (a `TodoPage`: text, or its UTF-8 bytes on SQLite). */
  pageJson(member: Owner, query: TodoQuery): Promise<string | Buffer> {
    return this.#todos.listJson(member, query);
  }

  /**
   * Who lists what: the caller, with their default list made on first use, and `listId` (lower
   * case) once they may read it.
   */
  async #listing(caller: TodoCaller, query: TodoQuery): Promise<[Owner, TodoQuery]> {
    const me = ownerOf(caller.principal);
    await this.#lists.ensureDefault(profileOf(caller.principal), this.#context.clock.now());
    const listId = query.listId?.toLowerCase();
    if (listId !== undefined) await this.#onList(caller, listId, 'can_read');
    return [me, { ...query, listId }];
  }

  /** One todo in a list the caller can read; 404 otherwise. */
  async get(caller: TodoCaller, rawId: string): Promise<Todo> {
    const id = rawId.toLowerCase();
    await this.#ask(caller, id, 'can_read');
    const todo = await this.#todos.get(ownerOf(caller.principal), id);
    if (todo) return todo;
    // No list of the caller's holds it: the core's refusal (a 404 all the same, audited) when
    // the todo exists; one that does not is a plain 404, refusing nothing and writing nothing.
    if (!this.#context.access.remote && (await idExists(this.#context.db.kysely, 'todos', id)))
      await this.#check(caller.principal, 'todo', 'can_read', id, undefined);
    throw notFound();
  }

  /** A todo in `listId` (a list the caller may add to) or in their default list. */
  async create(caller: TodoCaller, input: CreateTodo): Promise<Todo> {
    const { listId, fields } = await this.#creatable(caller, input);
    return (await this.#insert(caller, listId, fields)) as Todo;
  }

  /**
   * `create` answered for a route, with an `Idempotency-Key` when `once.key` is set: checked
   * and authorized first, exactly as without it, then answered from the key's stored answer when
   * there is one (see `KeyRecord`).
   */
  async createOnce(
    caller: TodoCaller,
    input: CreateTodo,
    once: KeyedCreate,
  ): Promise<CreatedAnswer> {
    const { listId, fields } = await this.#creatable(caller, input);
    return this.#answer(caller, listId, fields, once);
  }

  /** A todo in a list whose `can_create_todo` the caller's route has already checked. */
  async insert(caller: TodoCaller, listId: string, input: TodoInput): Promise<Todo> {
    refuseInvalidText(input);
    return (await this.#insert(caller, listId.toLowerCase(), input)) as Todo;
  }

  /** `insert` answered for a route (as `createOnce`). */
  insertOnce(
    caller: TodoCaller,
    listId: string,
    input: TodoInput,
    once: KeyedCreate,
  ): Promise<CreatedAnswer> {
    refuseInvalidText(input);
    return this.#answer(caller, listId.toLowerCase(), input, once);
  }

  async #answer(
    caller: TodoCaller,
    listId: string | undefined,
    input: TodoInput,
    once: KeyedCreate,
  ): Promise<CreatedAnswer> {
    const { key } = once;
    if (key === undefined)
      return createdAnswer((await this.#insert(caller, listId, input)) as Todo, once);
    const record = new KeyRecord(this.#context.db, keyOwnerOf(caller.principal), { ...once, key });
    return (await this.#insert(caller, listId, input, record)) as CreatedAnswer;
  }

  /** The fields of a create, and its list once the caller may add to it (lower case). */
  async #creatable(caller: TodoCaller, input: CreateTodo) {
    refuseInvalidText(input);
    const { listId: requested, ...fields } = input;
    const listId = requested?.toLowerCase();
    if (listId !== undefined) await this.#onList(caller, listId, 'can_create_todo');
    return { listId, fields };
  }

  /**
   * Throws 404 or 403 unless the caller may take `action` on list `listId`. An id that names no
   * list is a plain 404: no denial to audit, as for a todo (with a decision point, it decides).
   */
  async #onList(caller: TodoCaller, listId: string, action: 'can_read' | 'can_create_todo') {
    const held = await this.#lists.relation(ownerOf(caller.principal), listId);
    if (held === undefined && !this.#context.access.remote && !(await this.#lists.exists(listId)))
      throw new ApiError('not_found', 'No such list');
    await this.#check(caller.principal, 'list', action, listId, held);
  }

  /**
   * Sets the given fields (`todo.update`) or all of them (`todo.replace`) of a todo in a list
   * the caller may write, only if it is still at the `If-Match` version when one is given.
   */
  async change(
    caller: TodoCaller,
    rawId: string,
    changes: PatchTodo,
    options: { readonly action: 'todo.update' | 'todo.replace'; readonly ifMatch?: IfMatch },
  ): Promise<Todo> {
    refuseInvalidText(changes);
    const id = rawId.toLowerCase();
    const { ifMatch } = options;
    await this.#ask(caller, id, 'can_update');
    const me = ownerOf(caller.principal);
    const todo = await writeAndAudit(
      this.#context.db,
      this.#record(caller, options.action, `todo:${id}`),
      async (tx, now) => {
        const expected = await this.#precondition(caller, id, ifMatch, tx);
        return this.#todos.update(me, id, changes, now, tx, expected);
      },
    );
    if (!todo) throw await this.#unchanged(caller, id, 'can_update', ifMatch);
    return todo;
  }

  /** Deletes a todo in a list the caller may write (still at the `If-Match` version). */
  async remove(caller: TodoCaller, rawId: string, ifMatch?: IfMatch): Promise<void> {
    const id = rawId.toLowerCase();
    await this.#ask(caller, id, 'can_delete');
    const me = ownerOf(caller.principal);
    const deleted = await writeAndAudit(
      this.#context.db,
      this.#record(caller, 'todo.delete', `todo:${id}`),
      async (tx) => {
        // Its list first, as the list's deletion takes it (no deadlock with one meanwhile).
        await this.#lists.holdListOfTodo(id, tx);
        const expected = await this.#precondition(caller, id, ifMatch, tx);
        const deleted = await this.#todos.remove(me, id, tx, expected);
        // The keys that created it lose their copy of it, in the same transaction.
        if (deleted) await forgetDeletedTodo(tx, id);
        return deleted;
      },
    );
    if (!deleted) throw await this.#unchanged(caller, id, 'can_delete', ifMatch);
  }

  /**
   * Inserts a todo into `listId` (already checked) or the caller's default list. Into a named
   * list the caller's relation is read again and held in the write's transaction
   * (`holdForWrite`): a membership removed, narrowed to viewer or a list deleted (at any
   * instance) after the check and before the write refuses it as the check would now, instead of
   * a todo landing after the change (or a foreign-key failure answered 500). With a key
   * (`once`), the answer: the key's row is claimed in the same transaction as the todo and its
   * audit record; a key another request holds (stored, or in flight: its commit is waited for)
   * writes nothing and is answered as that request was (or 422 for another request). The claim
   * is the lookup: no read before it, one round trip fewer for every first request.
   */
  async #insert(
    caller: TodoCaller,
    listId: string | undefined,
    input: TodoInput,
    once?: KeyRecord,
  ): Promise<Todo | CreatedAnswer> {
    const { db, clock } = this.#context;
    const profile = profileOf(caller.principal);
    const now = clock.now();
    const list = listId ?? (await this.#lists.ensureDefault(profile, now));
    // What a key's fingerprint reads, written out (a property added after a spread is slow).
    const content: CreateContent = {
      listId: list,
      title: input.title,
      description: input.description,
      completed: input.completed,
    };
    const row = newTodoRow(db, profile, list, input, now);
    const record = { ...this.#record(caller, 'todo.create', `todo:${row.id}`, profile), at: now };
    const todo = toTodo(row);
    // The person's own default list: they stay its owner, and it is never deleted.
    if (listId === undefined && once === undefined)
      return writeAndAudit(db, record, { into: 'todos', row, result: todo });
    // With a key, on PostgreSQL: the claim, the todo and its record in one statement.
    if (listId === undefined && once !== undefined && db.transactionOfOne !== undefined) {
      const claim = once.claimOf(todo, now);
      const outcome = await writeOnceAndAudit(
        db,
        record,
        { into: 'todos', row, result: todo },
        claim,
      );
      if (outcome.claimed) return once.answer(todo);
      return outcome.stored ? once.replay(outcome.stored, content) : once.taken(content, now);
    }
    const member = this.#context.access.remote ? undefined : ownerOf(caller.principal);
    let refused = false;
    const written = await writeAndAudit(db, record, async (tx) => {
      if (listId !== undefined) {
        const held = await this.#lists.holdForWrite(member, listId, tx);
        refused = held === undefined || (held !== 'exists' && !WRITERS.includes(held));
        if (refused) return undefined;
      }
      if (once && db.dialect === 'postgres') {
        // The claim and the insert in one statement: the todo only with the key.
        return (await claimAndInsert(db, tx, once.claimOf(todo, now), row)) ? todo : undefined;
      }
      if (once && !(await once.claim(tx, todo, now))) return undefined;
      await tx.insertInto('todos').values(row).execute();
      return todo;
    });
    if (written) return once ? once.answer(written) : written;
    if (once && !refused) return once.taken(content, now);
    const held = await this.#lists.relation(ownerOf(caller.principal), listId as string);
    await this.#check(caller.principal, 'list', 'can_create_todo', listId as string, held);
    throw new ApiError('not_found', 'No such list');
  }

  #record(
    caller: TodoCaller,
    action: string,
    resource: string,
    actor = profileOf(caller.principal),
  ) {
    return {
      actor,
      action,
      resource,
      requestId: caller.requestId,
      at: this.#context.clock.now(),
    };
  }

  /** With an external decision point, its answer on the todo comes first. */
  async #ask(caller: TodoCaller, id: string, action: TodoAction): Promise<void> {
    if (this.#context.access.remote) {
      await this.#check(caller.principal, 'todo', action, id, undefined);
    }
  }

  /**
   * RFC 9110 §13.1.1 and §13.1.2: with `If-Match` (`If-None-Match`), the change applies only to
   * the state the client saw (did not see). Returns the version the write must still find (so a
   * concurrent change in between is caught by the write itself), or undefined when no
   * precondition needs one. The precondition is only evaluated
   * for a caller who may write the todo (§13.2.1: preconditions are ignored when the answer
   * without them would not be a 2xx): a viewer's write finds nothing to change and is refused
   * 403 by {@link #unchanged}, whatever version it names.
   */
  async #precondition(
    caller: TodoCaller,
    id: string,
    ifMatch: IfMatch,
    tx: Db['kysely'],
  ): Promise<number | undefined> {
    // `*` matches any current representation: the write itself finds the todo or answers 404,
    // so it carries no version a concurrent change could make it miss (no spurious 412).
    if (ifMatch === undefined || !needsVersion(ifMatch)) return undefined;
    const current = await this.#todos.writable(ownerOf(caller.principal), id, tx);
    if (!current) return undefined;
    if (!preconditionsAllow(ifMatch, current.version))
      throw new PreconditionFailed('todo', current);
    return current.version;
  }

  /**
   * A write that changed nothing: 412 with the new state when the todo, which the caller may
   * still change, is no longer at a version `If-Match` names (it lost a race), else 403 or 404 as
   * for any write: no `If-Match`, matching or not, turns a refusal into a precondition failure
   * (RFC 9110 §13.2.1 and §13.2.2, preconditions are evaluated after the request's other checks).
   */
  async #unchanged(
    caller: TodoCaller,
    id: string,
    action: TodoAction,
    ifMatch: IfMatch,
  ): Promise<ApiError> {
    const me = ownerOf(caller.principal);
    if (ifMatch !== undefined && isConditional(ifMatch)) {
      // Still there and writable: the write was held to the version its precondition was
      // evaluated on, and a concurrent change moved it. Whether the condition holds of the new
      // state or not (an If-None-Match tag list can), the change the client sent went nowhere.
      const current = await this.#todos.writable(me, id);
      if (current) return new PreconditionFailed('todo', current);
    }
    // 403 when the caller can read the todo (so cannot change it), else 404.
    const held = await this.#todos.access(me, id);
    // A todo that does not exist is a plain 404: no denial to audit (no write on that path).
    if (held === undefined && !(await idExists(this.#context.db.kysely, 'todos', id)))
      return notFound();
    await this.#check(caller.principal, 'todo', action, id, held?.relation);
    return notFound();
  }
}
