import { createHash } from 'node:crypto';
import type { Principal } from '@todo-sso/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { KeyClaim, StoredKey } from '../audit/write-once.js';
import type { Db } from '../db/database.js';
import type { Owner } from '../db/schema.js';
import { ApiError } from '../http/problem.js';
import { IDEMPOTENCY_KEY_MESSAGE, IDEMPOTENCY_KEY_PATTERN } from '../schemas/common.js';
import { refuseForgotten } from './forget-keys.js';
import type { Todo } from './schemas.js';

/**
 * `Idempotency-Key` on creating a todo (draft-ietf-httpapi-idempotency-key-header): a retry of a
 * create whose answer was lost is answered with the first answer instead of creating a second
 * todo. A key belongs to its caller (issuer and subject: the composite key of the draft's
 * Security Considerations) and to the client that chose it (§2: a key is unique per client; the
 * token's `azp` / `client_id`, an agent's client id): the same key from another person, or from
 * the person's other client (their web app and their AI assistant), is another key. Only
 * `POST /todos/`, `POST /lists/{id}/todos/` and the MCP tool `create_todo` read it. A key is
 * remembered a day (§2.3).
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** The request header of the two create routes, as their schema validates and documents it. */
export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description:
        'A key of your own (a UUID) for this create, so a retry after a lost answer is answered with the first answer (`Idempotent-Replayed: true`) instead of creating a second todo; remembered 24 hours per person and client; the same key with another request is 422',
    }),
  ),
});

/** A new todo's `Location`. */
export const todoLocation = (todo: Todo): CreatedHeaders => ({ location: `/todos/${todo.id}` });

const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/**
 * The key of a request, without its quotes; undefined without the field. A repeated field is the
 * 400 of an invalid one (§2.1), whatever the values, as is one the schema let through by
 * mistake (the key is a database value: it is checked here again before it is used).
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  const raw = request.raw.rawHeaders;
  let fields = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]?.toLowerCase() === 'idempotency-key') fields += 1;
  if (typeof value !== 'string' || fields > 1 || !KEY.test(value)) {
    const message = fields > 1 ? 'must be sent once' : IDEMPOTENCY_KEY_MESSAGE;
    throw new ApiError('validation_failed', `headers.idempotency-key ${message}`, {
      errors: [{ field: 'headers.idempotency-key', message }],
    });
  }
  return value.startsWith('"') ? value.slice(1, -1) : value;
}

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
export interface KeyedCreate {
  readonly key: string | undefined;
  readonly headers: (todo: Todo) => CreatedHeaders;
}

/** The answer to a keyed create: the new todo's, or the stored one (`replayed`). */
export interface CreatedAnswer extends CreatedHeaders {
  readonly body: Todo;
  readonly replayed: boolean;
}

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
export class KeyRecord {
  constructor(
    readonly db: Db,
    readonly owner: KeyOwner,
    readonly create: KeyedCreate & { readonly key: string },
  ) {}

  /**
   * The stored answer to this key if younger than a day (§2.3): §2.6 the same request is answered
   * as the first was, §2.7 another one is 422 (nothing written); 404 once its todo was deleted.
   */
  async stored(content: CreateContent, now: Date): Promise<CreatedAnswer | undefined> {
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
  replay(row: StoredKey, content: CreateContent): CreatedAnswer {
    refuseForgotten(row.body);
    if (row.fingerprint !== fingerprintOf(content))
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was used for another request: send a new key for a new todo',
      );
    return {
      body: JSON.parse(row.body) as Todo,
      location: row.location ?? '',
      etag: row.etag ?? undefined,
      replayed: true,
    };
  }

  /** The key found taken by a request committed meanwhile: its answer, or 409 (§2.7) to retry. */
  async taken(content: CreateContent, now: Date): Promise<CreatedAnswer> {
    const answer = await this.stored(content, now);
    if (answer) return answer;
    throw new ApiError(
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is being processed: retry it with the same key',
    );
  }

  /**
   * Stores the answer to `todo` under the key, in the write's transaction; false when the key is
   * taken (a live row of another request, committed first: on PostgreSQL the insert waits for a
   * concurrent one's transaction). An expired row is taken over in the same statement.
   */
  async claim(tx: Tx, todo: Todo, now: Date): Promise<boolean> {
    const { row, expired } = this.claimOf(todo, now);
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

  /** The key's row answering `todo`, and when a stored one has expired (§2.3: taken over). */
  claimOf(todo: Todo, now: Date): KeyClaim & { readonly row: { readonly created_at: string } } {
    const headers = this.create.headers(todo);
    const row = {
      issuer: this.owner.issuer,
      sub: this.owner.subject,
      client_id: this.owner.client,
      key: this.create.key,
      fingerprint: fingerprintOf(todo),
      status: 201,
      body: JSON.stringify(todo),
      location: headers.location,
      etag: headers.etag ?? null,
      created_at: now.toISOString(),
    };
    return { row, expired: cutoff(now) };
  }

  /** The answer to a todo this request created. */
  answer(todo: Todo): CreatedAnswer {
    return createdAnswer(todo, this.create);
  }
}

/** The answer to a todo a request created (not a replay). */
export function createdAnswer(todo: Todo, create: KeyedCreate): CreatedAnswer {
  return { body: todo, ...create.headers(todo), replayed: false };
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
export function sendCreated(reply: FastifyReply, answer: CreatedAnswer): FastifyReply {
  reply.code(201).header('location', answer.location);
  if (answer.etag !== undefined) reply.header('etag', answer.etag);
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.send(answer.body);
}
