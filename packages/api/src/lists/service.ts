import type { FastifyRequest } from 'fastify';
import { type Change, type WriteRecord, writeAndAudit } from '../audit/write-and-audit.js';
import type { ListAction } from '../authz/app-policy.js';
import type { AppContext } from '../context.js';
import type { Owner, Relation } from '../db/schema.js';
import {
  isConditional,
  needsVersion,
  PreconditionFailed,
  preconditionsAllow,
  preconditionsOf,
} from '../http/etag.js';
import { ApiError } from '../http/problem.js';
import { ownerOf, principalOf, profileOf } from '../routes/principal.js';
import { BLANK_MESSAGE, isBlank } from '../schemas/common.js';
import {
  type List as ListRecord,
  type ListRepository,
  listRepository,
  type Person,
} from './repository.js';

/** The list id of the path, lower-cased (RFC 9562 §4: a UUID's hex digits are case-insensitive). */
export const listId = (request: { params: { id: string } }) => request.params.id.toLowerCase();

/**
 * The one person a handle (username or email) names: 404 when nobody (saying how a person
 * becomes known, docs/sharing.md), 409 when more than one person answers to it. An email is typed
 * by its owner at most identity providers and need not be verified, so two people may give the
 * same one; sharing must then not reach whichever of them the database lists first (the
 * username, unique at the identity provider, names one). With `severalIssuers` the 404 for a
 * username says that people of another identity provider are named by their verified email
 * (`findPeople`), the same whether or not someone there has that username.
 */
export function onePerson<P extends Owner>(
  found: readonly P[],
  handle: string,
  severalIssuers = false,
): P {
  const [person, other] = found;
  // OpenID Connect Core §5.7: an email names a person only when their provider vouched for it
  // (`email_verified` true), which Authentik's default email scope mapping never does.
  const byEmail = handle.includes('@')
    ? '; and an email address names a person only when their identity provider says it is verified (email_verified), so name them by their username if theirs is not'
    : severalIssuers
      ? '; a username names a person of your own identity provider only: name a person of another identity provider by their email, once their provider says it is verified (email_verified)'
      : '';
  if (person === undefined)
    throw new ApiError(
      'not_found',
      `No person known as ${handle}: the API knows a person once they have used their todos or lists (in the web app, with the todo command or through an assistant); signing in alone is not enough${byEmail}`,
    );
  if (other !== undefined)
    throw new ApiError(
      'conflict',
      handle.includes('@')
        ? `More than one person is known as ${handle}: name them by their username`
        : `More than one person is known as ${handle}: name them by their email`,
    );
  return person;
}

/**
 * Inside a share's transaction: makes `person` a member of list `id` as `relation`, or changes
 * the relation they have. A new membership is refused (409 `conflict`, nothing written) when
 * `max` lists are shared with the person already: with the cap on owned lists, what bounds the
 * lists `GET /lists/` answers them with. Counted and written while the person is held
 * (`holdPerson`), so concurrent shares, at any instance, cannot together exceed it.
 */
export async function addMember(
  lists: ListRepository,
  tx: Parameters<ListRepository['setMember']>[4],
  share: { id: string; person: Person; relation: Exclude<Relation, 'owner'>; now: Date },
  max: number,
): Promise<void> {
  const { id, person, relation, now } = share;
  await lists.holdPerson(person, tx);
  if (
    (await lists.relation(person, id, tx)) === undefined &&
    (await lists.count(person, 'shared', tx)) >= max
  )
    throw new ApiError(
      'conflict',
      `${person.username ?? 'This person'} has ${max === 1 ? 'a list' : `${max} lists`} shared with them, the most one person may: they must leave one first`,
    );
  await lists.setMember(id, person, relation, now, tx);
}

/**
 * A new or changed list name as sent, once it holds a visible character: a name of spaces or
 * invisible characters alone ({@link isBlank}) shows as no name in every list of lists (the web
 * app's, `todo lists`). Refused with the 400 of a schema failure naming the field, as such a
 * todo's title is.
 */
export function nameOf(body: { readonly name: string }): string {
  if (!isBlank(body.name)) return body.name;
  throw new ApiError('validation_failed', `name ${BLANK_MESSAGE}`, {
    errors: [{ field: 'body.name', message: BLANK_MESSAGE }],
  });
}

/**
 * The audit detail of a share or an unshare: whom the list was shared with (at `relation`) or
 * taken from, by issuer and `sub` (stable, where a username may change or be another's later).
 */
export function memberDetail(person: Owner, relation?: Relation): string {
  return JSON.stringify({
    issuer: person.issuer,
    sub: person.subject,
    ...(relation && { relation }),
  });
}

/** A list as the caller sees it, with the actions they may take on it. */
export type ShownList = ListRecord & { actions: ListAction[] };

/**
 * `list` with `actions`, written field by field: on Node 20 a property added after a spread
 * costs ~0.5 µs (bench/results/profile.md), once per list of every `GET /lists/`.
 */
function shown(list: ListRecord, actions: ListAction[]): ShownList {
  return {
    id: list.id,
    name: list.name,
    relation: list.relation,
    isDefault: list.isDefault,
    todoCount: list.todoCount,
    createdAt: list.createdAt,
    updatedAt: list.updatedAt,
    version: list.version,
    actions,
  };
}

/**
 * The list as the caller's write left it, read in that write's transaction. A caller no longer a
 * member (removed while a remote decision point allowed the write) is answered 404 and the write
 * rolls back: thrown inside `write`, nothing is committed without its audit record.
 */
export async function readBack(
  lists: ListRepository,
  request: FastifyRequest,
  id: string,
  tx: Parameters<ListRepository['get']>[2],
) {
  const list = await lists.get(ownerOf(principalOf(request)), id, tx);
  if (!list) throw new ApiError('not_found', 'No such list');
  return list;
}

/**
 * What the list and member routes share: access checks through the app's access guard (a list
 * the caller is not a member of answers 404 like a missing one, one they may read but not act on
 * 403), the screen's actions in one batch decision, `If-Match` preconditions, and writes that
 * commit with the caller's profile and the audit record.
 */
export function listService(context: AppContext) {
  const { db, clock, access } = context;
  const lists = listRepository(db);

  /** The list with the caller's relation, once the relation allows `action`. */
  async function authorize(request: FastifyRequest, id: string, action: ListAction) {
    const principal = principalOf(request);
    const list = await lists.get(ownerOf(principal), id);
    // Asked unless no such list exists (a plain 404, no audited refusal, no write on a miss).
    if (list || access.remote || (await lists.exists(id)))
      await access.require(principal, 'list', action, id, list?.relation);
    if (!list) throw new ApiError('not_found', 'No such list');
    return list;
  }

  /**
   * Lists as the caller may act on them: each with the actions the authorization core allows,
   * decided for all of them in one batch (one decision call per response, never one per list).
   */
  async function present(request: FastifyRequest, found: ListRecord[]): Promise<ShownList[]> {
    const allowed = await access.listActions(principalOf(request), found);
    return found.map((list, i) => shown(list, allowed[i] ?? []));
  }

  async function presentOne(request: FastifyRequest, list: ListRecord) {
    const [one] = await present(request, [list]);
    return one as ShownList;
  }

  /**
   * RFC 9110 §13.1.1 and §13.1.2: with `If-Match` (or `If-None-Match`), a change applies only to
   * the list the client saw (or did not see). Returns the version the write must still find, or
   * undefined when no precondition needs one.
   */
  async function precondition(request: FastifyRequest, list: ListRecord) {
    const p = preconditionsOf(request.headers);
    // `If-Match: *` matches any current representation: the write needs only the list (§13.1.1).
    if (!needsVersion(p)) return undefined;
    if (!preconditionsAllow(p, list.version)) {
      throw new PreconditionFailed('list', await presentOne(request, list));
    }
    return list.version;
  }

  /** A conditional write found no row at the checked version: 412 with the new state, or 404. */
  async function changedMeanwhile(request: FastifyRequest, id: string): Promise<never> {
    const current = await lists.get(ownerOf(principalOf(request)), id);
    const p = preconditionsOf(request.headers);
    // Still there: a concurrent change moved the version the precondition was evaluated on.
    if (current && isConditional(p)) {
      throw new PreconditionFailed('list', await presentOne(request, current));
    }
    throw new ApiError('not_found', 'No such list');
  }

  /**
   * One write, the caller's profile and its audit record (with `detail`, when given), all or
   * nothing (`writeAndAudit`); a write that changed nothing (`false`) is not audited.
   */
  function write<T>(
    request: FastifyRequest,
    action: string,
    resource: WriteRecord<T>['resource'],
    change: Change<T>,
    detail?: string,
  ): Promise<T> {
    const actor = profileOf(principalOf(request));
    const record = { actor, action, resource, detail, requestId: request.id, at: clock.now() };
    return writeAndAudit(db, record, change);
  }

  /** Someone known by this username or email ({@link onePerson}); a member of `memberOf` first. */
  async function person(request: FastifyRequest, handle: string, memberOf?: string) {
    const found = await lists.findPeople(handle, principalOf(request).issuer, memberOf);
    return onePerson<Person>(found, handle, context.config.issuers.length > 1);
  }

  return { lists, authorize, present, presentOne, precondition, changedMeanwhile, write, person };
}

export type ListService = ReturnType<typeof listService>;
