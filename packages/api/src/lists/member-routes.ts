import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { ownerOf, principalOf } from '../routes/principal.js';
import { problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { ListParams, Member, MemberArray, MemberParams, Share } from './schemas.js';
import { addMember, type ListService, listId, listService, memberDetail } from './service.js';

const TAGS = ['lists'];

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/**
 * `/lists/{id}/members…`: who a list is shared with. Only the owner shares, changes and removes
 * members; a member may leave.
 */
export function listMemberRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const service = listService(context);

  return async (app) => {
    membersRoute(app, service);
    shareRoute(app, service, context.config.maxSharedListsPerPerson);
    removeMemberRoute(app, context, service);
  };
}

/** `GET /lists/{id}/members`: the members, for anyone who may read the list. */
function membersRoute(app: App, { lists, authorize }: ListService): void {
  app.get(
    '/lists/:id/members',
    {
      config: requires({ permission: 'todos:read' }),
      schema: {
        tags: TAGS,
        operationId: 'listMembers',
        description:
          'The owner first, then everyone the list is shared with, each with their relation. Needs `todos:read` and any relation to the list: one you cannot read is 404.',
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
}

/** `PUT /lists/{id}/members/{username}`: sharing, or changing a member's relation. */
function shareRoute(
  app: App,
  { lists, authorize, write, person }: ListService,
  maxShared: number,
): void {
  app.put(
    '/lists/:id/members/:username',
    {
      config: requires({ permission: 'todos:write' }),
      schema: {
        tags: TAGS,
        operationId: 'shareList',
        description:
          'Shares the list with a person, named by username or email among the people the API knows (those who have used their todos or lists), as `editor` or `viewer`, or changes their relation. A member of the list is named by their username or email whatever their identity provider; anyone else by the username they have at your own identity provider, or by an email their provider verified (with several issuers a username never names a person of another provider: OpenID Connect Core §5.7). Needs `todos:write` and the owner relation (an editor or viewer is 403). An unknown person or a list you cannot read is 404; naming the owner, or a person who already has `MAX_SHARED_LISTS_PER_PERSON` lists shared with them, is 409.',
        summary: 'Share a list with someone as editor or viewer, or change their relation (owner)',
        security: SECURED,
        params: MemberParams,
        body: Share,
        response: { 200: Member, ...problems(400, 401, 403, 404, 409, 413, 415, 503) },
      },
    },
    async (request) => {
      const id = listId(request);
      await authorize(request, id, 'can_share');
      // A member of this list first, whatever their issuer (`findPeople`): changing the relation
      // of a member of another identity provider, by the username the members answer shows,
      // must reach them, never a namesake of the owner's provider who is no member.
      const target = await person(request, request.params.username, id);
      if ((await lists.relation(target, id)) === 'owner') {
        throw new ApiError('conflict', 'The owner of a list stays its owner');
      }
      const { relation } = request.body;
      const detail = memberDetail(target, relation);
      const shared = await write(
        request,
        'list.share',
        `list:${id}`,
        async (tx, now) => {
          // The list, held until the commit: one deleted meanwhile (at any instance) shares
          // nothing and answers 404, instead of failing the membership's foreign key (500).
          if ((await lists.holdForWrite(undefined, id, tx)) === undefined) return false;
          await addMember(lists, tx, { id, person: target, relation, now }, maxShared);
          return true;
        },
        detail,
      );
      if (!shared) throw new ApiError('not_found', 'No such list');
      // The membership just written, as `members` shows it: read back from the list instead, it
      // could be another issuer's member with the same `sub`, or gone (they left meanwhile).
      return { sub: target.subject, username: target.username, relation };
    },
  );
}

/** `DELETE /lists/{id}/members/{username}`: removing a member (owner), or leaving. */
function removeMemberRoute(app: App, context: AppContext, service: ListService): void {
  const { access } = context;
  const { lists, write, person } = service;
  app.delete(
    '/lists/:id/members/:username',
    {
      config: requires({ permission: 'todos:write' }),
      schema: {
        tags: TAGS,
        operationId: 'removeMember',
        description:
          "Removes a member from the list (the owner may remove anyone), or lets a member leave it (the member themself); 204 with no body. Needs `todos:write`. The handle names a member of the list by username or email whatever their identity provider. A list you cannot read is 404, as is a person who is not a member; someone else's removal by a non-owner is 403; the owner cannot leave their own list (409).",
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
      const principal = principalOf(request);
      const me = ownerOf(principal);
      const mine = await lists.relation(me, id);
      // No such list: a plain 404, no audited refusal (no write on a miss).
      if (mine === undefined && !access.remote && !(await lists.exists(id)))
        throw new ApiError('not_found', 'No such list');
      // The list is decided before the handle is looked up: a caller who cannot read it gets its
      // 404 whoever the handle names, so removing a member is no way to learn whether an address
      // or username belongs to someone who uses the API (as sharing, decided first, is not).
      if (mine === undefined) await access.require(principal, 'list', 'can_read', id, mine);
      // The handle names a member of this list first, whatever their issuer (`findPeople`):
      // the members answer shows usernames, and a member of another identity provider (shared
      // by email) stays removable by the name the owner sees there.
      const target = await person(request, request.params.username, id);
      const self = target.issuer === me.issuer && target.subject === me.subject;
      // Leaving needs only membership; removing someone else is sharing (owner).
      await access.require(principal, 'list', self ? 'can_read' : 'can_share', id, mine);
      const theirs = self ? mine : await lists.relation(target, id);
      if (theirs === undefined) {
        throw new ApiError('not_found', `${request.params.username} is not a member`);
      }
      if (theirs === 'owner') {
        throw new ApiError('conflict', 'The owner cannot leave their own list');
      }
      const removed = await write(
        request,
        self ? 'list.leave' : 'list.unshare',
        `list:${id}`,
        (tx) => lists.removeMember(id, target, tx),
        self ? undefined : memberDetail(target),
      );
      // Removed meanwhile (by another removal, their leaving, the list's deletion, at any
      // instance): nothing was removed or recorded here, so this is answered as it would be
      // after that change, never a second 204 for one removal.
      if (!removed) {
        if (self) throw new ApiError('not_found', 'No such list');
        throw new ApiError('not_found', `${request.params.username} is not a member`);
      }
      return reply.code(204).send(null);
    },
  );
}
