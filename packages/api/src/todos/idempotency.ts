import { createHash } from 'node:crypto';
import type { Principal } from '@todo-sso/auth';
import type { FastifyReply } from 'fastify';
import type { KeyClaim, StoredKey } from '../audit/write-once.js';
import type { Db } from '../db/database.js';
import type { Owner } from '../db/schema.js';
import { etagOf } from '../http/etag.js';
import { ApiError } from '../http/problem.js';
import { refuseForgotten } from './forget-keys.js';
import type { Todo } from './schemas.js';

/**
 * `Idempotency-Key` on creating a todo or a list (draft-ietf-httpapi-idempotency-key-header): a
 * retry of a create whose answer was lost is answered with the first answer instead of creating
 * a second one. A key belongs to its caller (issuer and subject: the composite key of the draft's
 * Security Considerations) and to the client that chose it (§2: a key is unique per client; the
 * token's `azp` / `client_id`, an agent's client id): the same key from another person, or from
 * the person's other client (their web app and their AI assistant), is another key. Only
 * `POST /todos/`, `POST /lists/{id}/todos/`, `POST /lists/` and the MCP tool `create_todo` read
 * it (`http/idempotency-key.ts`); one key names one request, whichever of them it was. A key
 * is remembered a day (§2.3).
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** A new todo's `Location`. */
export const todoLocation = (todo: Todo): CreatedHeaders => ({ location: `/todos/${todo.id}` });

/**
 * The headers of a new todo's 201, whichever route created it: its `Location` and its `ETag`
 * (RFC 9110 §8.8.3), so a client can change it under `If-Match` without reading it first.
 */
export const createdTodoHeaders = (todo: Todo): CreatedHeaders => ({
  location: `/todos/${todo.id}`,
  etag: etagOf(todo.version),
});

/** The effective content of a create: its resolved list and its validated fields. */
export interface CreateContent {
  readonly listId: string;
  readonly title: string;
  readonly description?: string | null | undefined;
  readonly completed?: boolean | undefined;
}

/**
 * §2.4: SHA-256 of the create as it takes effect: the list it lands in (so `/todos/` naming a
 * list and `/lists/{id}/todos/` are one request) and the fields with their defaults applied.
 */
export function fingerprintOf(content: CreateContent): string {
  const canonical = JSON.stringify([
    content.listId,
    content.title,
    content.description ?? null,
    content.completed ?? false,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The response headers a create route sends with a new todo. */
export interface CreatedHeaders {
  readonly location: string;
  readonly etag?: string | undefined;
}

/** A create as a route asks for it: its key (if sent) and the headers of its answer. */
export interface KeyedCreate<T = Todo> {
  readonly key: string | undefined;
  readonly headers: (created: T) => CreatedHeaders;
}

/** The answer to a keyed create: the new todo's (or list's), or the stored one (`replayed`). */
export interface CreatedAnswer<T = Todo> extends CreatedHeaders {
  readonly body: T;
  readonly replayed: boolean;
}

/**
 * What a key creates (`T`, stored as the answer's body) and what its fingerprint reads (`C`,
 * the create as it takes effect): a todo, or a list (its name).
 */
export interface KeyedKind<T, C> {
  /** `todo` or `list`: a retry whose `T` was deleted since is `idempotency_key_<name>_deleted`. */
  readonly name: 'todo' | 'list';
  readonly fingerprint: (content: C) => string;
  /** The content of what was created, which a replay's request must match. */
  readonly contentOf: (created: T) => C;
}

/** Todos: the fingerprint of {@link fingerprintOf}; a new todo is its own content. */
export const TODO_KEYS: KeyedKind<Todo, CreateContent> = {
  name: 'todo',
  fingerprint: fingerprintOf,
  contentOf: (todo) => todo,
};

type Tx = Db['kysely'];

/** Whose key it is: the person (issuer, subject) and the client that chose it (`''`: none). */
export interface KeyOwner extends Owner {
  readonly client: string;
}

/**
 * The owner of a caller's keys: the person, and the client the token was issued to (`azp`, else
 * `client_id`, RFC 9068 §2.2; an agent's id is its client id), `''` for a token naming none.
 */
export function keyOwnerOf(principal: Principal): KeyOwner {
  return { issuer: principal.issuer, subject: principal.subject, client: principal.clientId ?? '' };
}

/**
 * One keyed create's record: claimed with the write (`claim`, or `writeOnceAndAudit`'s one
 * statement: the todo, its audit record and the key's row commit together), read when taken.
 */
export class KeyRecord<T = Todo, C = CreateContent> {
  constructor(
    readonly db: Db,
    readonly owner: KeyOwner,
    readonly create: KeyedCreate<T> & { readonly key: string },
    readonly kind: KeyedKind<T, C> = TODO_KEYS as unknown as KeyedKind<T, C>,
  ) {}

  /**
   * The stored answer to this key if younger than a day (§2.3): §2.6 the same request is answered
   * as the first was, §2.7 another one is 422 (nothing written); 404 once its todo was deleted.
   */
  async stored(content: C, now: Date): Promise<CreatedAnswer<T> | undefined> {
    const row = await this.db.kysely
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'body', 'location', 'etag'])
      .where('issuer', '=', this.owner.issuer)
      .where('sub', '=', this.owner.subject)
      .where('client_id', '=', this.owner.client)
      .where('key', '=', this.create.key)
      .where('created_at', '>', cutoff(now))
      .executeTakeFirst();
    return row && this.replay(row, content);
  }

  /** The answer to a request whose key's live row is `row` (§2.6), 422 (§2.7) or 404. */
  replay(row: StoredKey, content: C): CreatedAnswer<T> {
    const { name, fingerprint } = this.kind;
    // What the key created is named by its stored `Location`: a list's key sent to a todo's
    // create, once the list is deleted, says the list is gone.
    refuseForgotten(row.body, row.location?.startsWith('/lists/') ? 'list' : 'todo');
    if (row.fingerprint !== fingerprint(content))
      throw new ApiError(
        'idempotency_key_reused',
        `This Idempotency-Key was used for another request: send a new key for a new ${name}`,
      );
    return {
      body: JSON.parse(row.body) as T,
      location: row.location ?? '',
      etag: row.etag ?? undefined,
      replayed: true,
    };
  }

  /** The key found taken by a request committed meanwhile: its answer, or 409 (§2.7) to retry. */
  async taken(content: C, now: Date): Promise<CreatedAnswer<T>> {
    const answer = await this.stored(content, now);
    if (answer) return answer;
    throw new ApiError(
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is being processed: retry it with the same key',
    );
  }

  /**
   * Stores the answer to `created` under the key, in the write's transaction; false when the key
   * is taken (a live row of another request, committed first: on PostgreSQL the insert waits for
   * a concurrent one's transaction). An expired row is taken over in the same statement.
   */
  async claim(tx: Tx, created: T, now: Date): Promise<boolean> {
    const { row, expired } = this.claimOf(created, now);
    const { issuer, sub, client_id, key, ...answer } = row;
    const claimed = await tx
      .insertInto('idempotency_keys')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['issuer', 'sub', 'client_id', 'key'])
          .doUpdateSet(answer)
          .where('idempotency_keys.created_at', '<=', expired),
      )
      .returning('key')
      .execute();
    return claimed.length === 1;
  }

  /** The key's row answering `created`, and when a stored one has expired (§2.3: taken over). */
  claimOf(created: T, now: Date): KeyClaim & { readonly row: { readonly created_at: string } } {
    const headers = this.create.headers(created);
    const row = {
      issuer: this.owner.issuer,
      sub: this.owner.subject,
      client_id: this.owner.client,
      key: this.create.key,
      fingerprint: this.kind.fingerprint(this.kind.contentOf(created)),
      status: 201,
      body: JSON.stringify(created),
      location: headers.location,
      etag: headers.etag ?? null,
      created_at: now.toISOString(),
    };
    return { row, expired: cutoff(now) };
  }

  /** The answer to what this request created. */
  answer(created: T): CreatedAnswer<T> {
    return createdAnswer(created, this.create);
  }
}

/** The answer to what a request created (not a replay). */
export function createdAnswer<T>(created: T, create: KeyedCreate<T>): CreatedAnswer<T> {
  const headers = create.headers(created);
  return { body: created, location: headers.location, etag: headers.etag, replayed: false };
}

/** The time at and before which a stored key has expired. */
const cutoff = (now: Date): string =>
  new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS).toISOString();

/** Deletes the keys stored before `before` less a day; how many went. */
export async function pruneIdempotencyKeys(k: Tx, before: Date): Promise<bigint> {
  const result = await k
    .deleteFrom('idempotency_keys')
    .where('created_at', '<=', cutoff(before))
    .executeTakeFirst();
  return result.numDeletedRows;
}

/** Sends a create's answer: 201 with its headers, and `Idempotent-Replayed: true` on a replay. */
export function sendCreated<T>(reply: FastifyReply, answer: CreatedAnswer<T>): FastifyReply {
  reply.code(201).header('location', answer.location);
  if (answer.etag !== undefined) reply.header('etag', answer.etag);
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.send(answer.body);
}
