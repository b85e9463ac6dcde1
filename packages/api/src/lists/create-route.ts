import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { etagOf } from '../http/etag.js';
import { idempotencyKeyOf, ListIdempotencyKeyHeaders } from '../http/idempotency-key.js';
import { ApiError } from '../http/problem.js';
import { ownerOf, principalOf } from '../routes/principal.js';
import { problemResponse, problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { KEYED_CREATE_PROBLEMS } from '../todos/create-responses.js';
import {
  type CreatedAnswer,
  createdAnswer,
  type KeyedCreate,
  type KeyedKind,
  KeyRecord,
  keyOwnerOf,
} from '../todos/idempotency.js';
import { type List as ListRecord, newList } from './repository.js';
import { List, ListName } from './schemas.js';
import { type ListService, nameOf } from './service.js';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** A list's key: its fingerprint is the name it was created with (all a create sends). */
const LIST_KEYS: KeyedKind<ListRecord, string> = {
  name: 'list',
  fingerprint: (name) =>
    createHash('sha256')
      .update(JSON.stringify(['list', name]))
      .digest('hex'),
  contentOf: (list) => list.name,
};

/** The headers of a new list's answer, stored with a key's answer. */
const listHeaders = (list: ListRecord) => ({
  location: `/lists/${list.id}`,
  etag: etagOf(list.version),
});

/** `POST /lists/`'s answers beside 201 (those of a keyed create, §2.7, with a list's 404). */
const CREATE_LIST_PROBLEMS = {
  ...problems(400, 401, 403, 409, 413, 415, 503),
  ...KEYED_CREATE_PROBLEMS,
  404: {
    ...problemResponse,
    description:
      'RFC 9457 problem details, `idempotency_key_list_deleted`: the list this `Idempotency-Key` created has been deleted since (nothing is created again)',
  },
  409: {
    ...problemResponse,
    description:
      'RFC 9457 problem details, `conflict`: you own `MAX_LISTS_PER_PERSON` lists already; `idempotency_key_in_use`: a request with this `Idempotency-Key` is still being processed; retry with the same key',
  },
};

/**
 * `POST /lists/`: a new list owned by the caller, once per `Idempotency-Key` when one is sent
 * (`todos/idempotency.ts`). The list is answered with the actions the authorization core allows
 * on it, decided after it is written: with `AUTHZ_PDP_URL`, a decision point failing then makes
 * the answer a 503 although the list exists. It cannot be decided before (the decision point
 * reads the list's membership from the store, which does not hold it yet) nor in the write's
 * transaction (the decision point does not see it uncommitted, and the person would stay held
 * through a remote call); a retry with the same key is answered with that list instead of a
 * second one, as is a retry after any lost answer.
 */
export function createListRoute(app: App, context: AppContext, service: ListService): void {
  const { db, clock, config } = context;
  const { lists, presentOne, write } = service;

  /** The list, written (with the key's row, when `once`), or the one a key's first request made. */
  async function created(
    request: FastifyRequest,
    name: string,
    once: KeyRecord<ListRecord, string> | undefined,
  ): Promise<CreatedAnswer<ListRecord>> {
    const me = ownerOf(principalOf(request));
    const list = await write(
      request,
      'list.create',
      (made: ListRecord) => `list:${made.id}`,
      async (tx, now) => {
        // Counted and created while the person is held: concurrent creations, at any instance,
        // cannot together exceed the cap (which bounds what `GET /lists/` answers). The key is
        // claimed first, so a retry of a create that reached the cap is answered, not refused.
        await lists.holdPerson(me, tx);
        const fresh = newList(randomUUID(), name, now.toISOString());
        if (once && !(await once.claim(tx, fresh, now))) return undefined;
        const max = config.maxListsPerPerson;
        if ((await lists.count(me, 'owned', tx)) >= max)
          throw new ApiError(
            'conflict',
            `You own ${max === 1 ? 'a list' : `${max} lists`}, the most one person may: delete one first`,
          );
        return lists.create(me, name, now, tx, fresh.id);
      },
    );
    if (once === undefined)
      return createdAnswer(list as ListRecord, { key: undefined, headers: listHeaders });
    return list ? once.answer(list) : once.taken(name, clock.now());
  }

  app.post(
    '/lists/',
    {
      config: requires({ permission: 'todos:write' }),
      schema: {
        tags: ['lists'],
        operationId: 'createList',
        description:
          'Creates a list you own and answers it with its `Location` and `ETag`. Needs `todos:write`; past `MAX_LISTS_PER_PERSON` lists it is 409 `conflict`. With `Idempotency-Key`, a retry is answered with the first answer (`Idempotent-Replayed: true`) instead of creating a second list; the key in flight is 409, reused for another name 422, its list deleted since 404.',
        sentHeaders: { 201: ['Location', 'ETag'] },
        summary: 'Create a list; you are its owner',
        security: SECURED,
        body: ListName,
        headers: ListIdempotencyKeyHeaders,
        response: { 201: List, ...CREATE_LIST_PROBLEMS },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const name = nameOf(request.body);
      const once =
        key === undefined
          ? undefined
          : new KeyRecord(db, keyOwnerOf(principalOf(request)), keyed(key), LIST_KEYS);
      const answer = await created(request, name, once);
      // Decided after the commit (see above): a failure here leaves the key's answer stored.
      const shown = await presentOne(request, answer.body);
      reply.code(201).header('location', answer.location);
      if (answer.etag !== undefined) reply.header('etag', answer.etag);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.send(shown);
    },
  );
}

const keyed = (key: string): KeyedCreate<ListRecord> & { readonly key: string } => ({
  key,
  headers: listHeaders,
});
