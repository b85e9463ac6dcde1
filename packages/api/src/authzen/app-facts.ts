import { APP_POLICY, type AppRule } from '../authz/app-policy.js';
import type { Db } from '../db/database.js';
import type { Owner, Relation } from '../db/schema.js';
import { listRepository } from '../lists/repository.js';
import { todoRepository } from '../todos/repository.js';
import type {
  CandidateRange,
  Facts,
  Policy,
  RequirementOutcome,
  Rule,
  RuleRequirement,
} from './engine.js';
import { memberPage } from './member-page.js';
import type { Entity, EvaluationRequest } from './model.js';
import { KnownRelations, relationPairs } from './relations.js';

/**
 * The app's list and todo policy as engine rules: one permit per resource type and action,
 * requiring the table's relation (and, when the subject's permissions are known, its
 * permission). Anything else is denied.
 */
export const APP_ENGINE_POLICY: Policy = {
  rules: Object.entries(APP_POLICY).flatMap(([type, actions]) =>
    Object.entries(actions as Record<string, AppRule>).map(
      ([name, rule]): Rule => ({
        effect: 'permit',
        subject: { type: 'user' },
        resource: { type },
        action: { name },
        requirement: { permission: rule.permission, relation: rule.relations },
      }),
    ),
  ),
  actions: Object.fromEntries(
    Object.entries(APP_POLICY).map(([type, actions]) => [type, Object.keys(actions)]),
  ),
};

/** What the relationship check needs to know, handed to the authorization core. */
export interface RelationCheck {
  readonly issuer: string;
  readonly subject: string;
  /** The subject's permissions when the request states them, else undefined (not checked). */
  readonly permissions: readonly string[] | undefined;
  readonly isAdmin: boolean;
  readonly requirement: RuleRequirement;
  readonly relation: Relation | undefined;
  readonly resource: { type: string; id: string };
}

/** Decides a relation check; the app passes the authorization core's decision point. */
export type CheckRelation = (check: RelationCheck) => RequirementOutcome;
/** An issuer's admin role (`OIDC_ADMIN_ROLE`, as the routes read it); none: no admin at all. */
type AdminRole = (issuer: string) => string | undefined;

/** List and todo ids are UUIDs; any other id names nothing (and must not reach a uuid column). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const strings = (value: unknown): readonly string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;

/** The list a list or todo resource belongs to (its id checked as a UUID by the caller). */
async function listOf(db: Db, resource: Entity): Promise<string | undefined> {
  const id = resource.id.toLowerCase();
  if (resource.type === 'list') return id;
  if (resource.type !== 'todo') return undefined;
  const [row] = await db.kysely
    .selectFrom('todos')
    .select('list_id')
    .where('id', '=', id)
    .execute();
  return row?.list_id;
}

/** A batch's list or todo ids of one subject, loaded in one query. */
interface Group {
  readonly owner: Owner;
  readonly type: 'list' | 'todo';
  readonly ids: Set<string>;
}

/**
 * Members of the list a list or todo resource belongs to (§8.4), in `range` (by `sub`), with each
 * one's relation to that resource recorded in `known`: the search then decides every candidate
 * from memory instead of reading its relation again, one query per member.
 */
async function membersOf(
  db: Db,
  known: KnownRelations,
  issuer: string,
  resource: Entity,
  range: CandidateRange,
): Promise<Entity[]> {
  const id = resource.id.toLowerCase();
  if (!UUID.test(id)) return [];
  const listId = await listOf(db, resource);
  if (listId === undefined) return [];
  const rows = await memberPage(db, listId, issuer, range).execute();
  // A todo's relation is its list's: the membership row read here (as `todos.access` joins it).
  for (const row of rows) {
    known.scope({ issuer, subject: row.member_sub }, resource.type, true).set(id, row.relation);
  }
  return rows.map((row) => ({ type: 'user', id: row.member_sub }));
}

/** The lists `owner` is a member of, by id, in `range`, with the relation to each. */
function listsOf(db: Db, owner: Owner, range: CandidateRange) {
  let query = db.kysely
    .selectFrom('list_members')
    .select(['list_id as id', 'relation'])
    .where('member_issuer', '=', owner.issuer)
    .where('member_sub', '=', owner.subject);
  if (range.after !== undefined) query = query.where('list_id', '>', range.after);
  return query.orderBy('list_id').limit(range.limit).execute();
}

/** The todos of those lists, by id, in `range`, with the relation to each (its list's). */
function todosOf(db: Db, owner: Owner, range: CandidateRange) {
  let query = db.kysely
    .selectFrom('todos as t')
    .innerJoin('list_members as m', 'm.list_id', 't.list_id')
    .select(['t.id as id', 'm.relation'])
    .where('m.member_issuer', '=', owner.issuer)
    .where('m.member_sub', '=', owner.subject);
  if (range.after !== undefined) query = query.where('t.id', '>', range.after);
  return query.orderBy('t.id').limit(range.limit).execute();
}

/**
 * The lists `owner` is a member of, or the todos of those lists (§8.5), in `range` (by id), with
 * the relation to each recorded in `known` as {@link membersOf} does. A position that is not a
 * list or todo id continues nowhere (and must not reach a uuid column).
 */
async function reachableBy(
  db: Db,
  known: KnownRelations,
  owner: Owner,
  type: 'list' | 'todo',
  range: CandidateRange,
): Promise<Entity[]> {
  if (range.after !== undefined && !UUID.test(range.after)) return [];
  const rows = await (type === 'list' ? listsOf : todosOf)(db, owner, range);
  const scope = known.scope(owner, type, true);
  for (const row of rows) scope.set(row.id.toLowerCase(), row.relation);
  return rows.map((row) => ({ type, id: row.id }));
}

/**
 * Loads into `known` the relations a batch's items ask about: one query per subject and resource
 * type instead of one per item. Ids that are not UUIDs are left out (they relate to nothing), and
 * an id the query did not return is recorded as having no relation.
 */
async function prefetchRelations(
  db: Db,
  known: KnownRelations,
  ownerOf: (subject: Entity) => Owner,
  requests: readonly EvaluationRequest[],
): Promise<void> {
  const groups = new Map<Map<string, Relation | null>, Group>();
  for (const { subject, resource } of requests) {
    const type = resource.type;
    if (subject.type !== 'user' || (type !== 'list' && type !== 'todo')) continue;
    const id = resource.id.toLowerCase();
    if (!UUID.test(id)) continue;
    const owner = ownerOf(subject);
    const scope = known.scope(owner, type, true);
    const group = groups.get(scope) ?? { owner, type, ids: new Set() };
    group.ids.add(id);
    groups.set(scope, group);
  }
  for (const [scope, { owner, type, ids }] of groups) {
    const wanted = [...ids];
    const pairs = await relationPairs(db, owner, type, wanted);
    for (const id of wanted) scope.set(id, null);
    for (const [id, relation] of pairs) scope.set(id, relation);
  }
}

/**
 * The app's facts for the engine: relations from the list memberships in the database, for
 * subjects of one issuer (a subject's `id` is a `sub`; `properties.issuer` names another).
 */
export function appFacts(db: Db, issuer: string, check: CheckRelation, admin: AdminRole): Facts {
  const lists = listRepository(db);
  const todos = todoRepository(db);
  // A stated issuer that is not a string names no issuer: read as none (no relation, no list
  // found), never as the caller's own, which the request did not say (fail closed).
  const ownerOf = (subject: Entity): Owner => {
    const stated = subject.properties?.issuer;
    const named = stated === undefined ? issuer : typeof stated === 'string' ? stated : '';
    return { issuer: named, subject: subject.id };
  };

  /** Relations loaded by `prefetch`; lives as long as this one request. */
  const known = new KnownRelations();

  /** The relation read from the database (only ids that passed the UUID check were prefetched). */
  async function relationOf(owner: Owner, type: string, id: string) {
    if (!UUID.test(id)) return undefined;
    if (type === 'list') return lists.relation(owner, id);
    if (type === 'todo') return (await todos.access(owner, id))?.relation;
    return undefined;
  }

  return {
    /** One query per subject and resource type for a whole batch instead of one per item. */
    prefetch: (requests: readonly EvaluationRequest[]) =>
      prefetchRelations(db, known, ownerOf, requests),

    /** At once when `prefetch` loaded the relation (a batch), else after reading it. */
    check(request: EvaluationRequest, requirement: RuleRequirement) {
      const props = request.subject.properties;
      const roles = strings(props?.roles) ?? [];
      const owner = ownerOf(request.subject);
      const adminRole = admin(owner.issuer);
      const { type, id } = request.resource;
      // Permissions stated in any other form than a list of strings (a scope string, null…)
      // are stated all the same: the permission column applies, and they grant nothing.
      const stated = props?.permissions !== undefined;
      const permissions = stated ? (strings(props?.permissions) ?? []) : undefined;
      const decide = (relation: Relation | undefined) =>
        check({
          issuer: owner.issuer,
          subject: owner.subject,
          permissions,
          isAdmin: adminRole !== undefined && roles.includes(adminRole),
          requirement,
          relation,
          resource: { type, id },
        });
      if (request.subject.type !== 'user') return decide(undefined);
      const lower = id.toLowerCase();
      const hit = known.scope(owner, type)?.get(lower);
      if (hit !== undefined) return decide(hit ?? undefined);
      return relationOf(owner, type, lower).then(decide);
    },

    async subjects(type: string, resource: Entity, range: CandidateRange) {
      return type === 'user' ? membersOf(db, known, issuer, resource, range) : [];
    },

    async resources(type: string, subject: Entity, range: CandidateRange) {
      if (subject.type !== 'user' || (type !== 'list' && type !== 'todo')) return [];
      return reachableBy(db, known, ownerOf(subject), type, range);
    },
  };
}
