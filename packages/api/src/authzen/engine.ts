import { isDeepStrictEqual } from 'node:util';
import type { FastifyRequest } from 'fastify';
import type { Action, Decision, Entity, EvaluationRequest, SearchRequest } from './model.js';
import {
  type CandidateRange,
  candidate,
  type SearchFound,
  type SearchPage,
  searchPage,
} from './search.js';

export type { CandidateRange, SearchFound, SearchPage };

/** What an entity must look like for a rule to apply; every member given must match. */
export interface EntityMatch {
  readonly type?: string;
  readonly id?: string | readonly string[];
  /** Each listed property must equal (deeply) the entity's value. */
  readonly properties?: Readonly<Record<string, unknown>>;
}

export interface ActionMatch {
  readonly name?: string | readonly string[];
  readonly properties?: Readonly<Record<string, unknown>>;
}

/**
 * What the subject must additionally hold, decided by the authorization core with facts the
 * engine's {@link Facts} supply: a permission from the subject's token, a relation to the
 * resource.
 */
export interface RuleRequirement {
  readonly permission?: string;
  readonly relation?: readonly string[];
}

/** One rule of a policy: when everything matches, its effect decides. */
export interface Rule {
  readonly effect: 'permit' | 'deny';
  readonly subject?: EntityMatch;
  readonly action?: ActionMatch;
  readonly resource?: EntityMatch;
  readonly requirement?: RuleRequirement;
  /** A stable reason code, returned in the decision's context. */
  readonly reason?: string;
}

/**
 * A policy as data: ordered rules, the first whose matchers and requirement hold decides;
 * none holding is a deny (fail closed). `actions` names every action per resource type, which
 * action search (AuthZEN 1.0 §8.6) tries.
 */
export interface Policy {
  readonly rules: readonly Rule[];
  readonly actions: Readonly<Record<string, readonly string[]>>;
}

/** The outcome of checking a rule's requirement: allowed, or refused with a reason code. */
export interface RequirementOutcome {
  readonly allowed: boolean;
  readonly reason: string;
}

/**
 * Where the engine gets what the request does not say: properties of known entities, the
 * requirement check (relations and permissions, by the authorization core) and the candidates
 * a search tries.
 */
export interface Facts {
  /**
   * Known properties of an entity; the request's own properties take precedence. Facts that
   * know none leave it out (no lookup per entity).
   */
  properties?(entity: { type: string; id: string }): Promise<Record<string, unknown> | undefined>;
  /**
   * Decides a rule's requirement for this subject and resource; at once (no promise) when the
   * facts it needs are already loaded (a batch's prefetch).
   */
  check(
    request: EvaluationRequest,
    requirement: RuleRequirement,
  ): Promise<RequirementOutcome> | RequirementOutcome;
  /**
   * Subjects of `type` that might act on `resource` (subject search candidates): at most
   * `range.limit`, those whose id comes after `range.after` (all when undefined), in the order
   * of their ids, the same order every time (a search's pages continue from an id). What
   * deciding them needs (a relation) is best read along with them: the search does not
   * prefetch for its candidates.
   */
  subjects(type: string, resource: Entity, range: CandidateRange): Promise<Entity[]>;
  /** Resources of `type` that `subject` might act on (resource search candidates), as above. */
  resources(type: string, subject: Entity, range: CandidateRange): Promise<Entity[]>;
  /** Loads at once what a batch of evaluations will look up one by one (optional). */
  prefetch?(requests: readonly EvaluationRequest[]): Promise<void>;
}

const some = <T>(value: T | readonly T[] | undefined, test: (v: T) => boolean) =>
  value === undefined || (Array.isArray(value) ? value.some(test) : test(value as T));

function propertiesMatch(
  wanted: Readonly<Record<string, unknown>> | undefined,
  actual: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (!wanted) return true;
  return Object.entries(wanted).every(([key, value]) => isDeepStrictEqual(actual?.[key], value));
}

function entityMatches(match: EntityMatch | undefined, entity: Entity): boolean {
  if (!match) return true;
  return (
    (match.type === undefined || match.type === entity.type) &&
    some(match.id, (id) => id === entity.id) &&
    propertiesMatch(match.properties, entity.properties)
  );
}

function actionMatches(match: ActionMatch | undefined, action: Action): boolean {
  if (!match) return true;
  return (
    some(match.name, (name) => name === action.name) &&
    propertiesMatch(match.properties, action.properties)
  );
}

/** The entity with the properties the facts know of it (the request's own win). */
async function withKnownProperties<E extends { type: string; id: string }>(
  facts: Facts,
  entity: E,
) {
  const known = await facts.properties?.(entity);
  if (!known) return entity;
  return { ...entity, properties: { ...known, ...(entity as Entity).properties } };
}

/** Whether a rule is about this subject, resource and action. */
function ruleMatches(
  rule: Policy['rules'][number],
  request: EvaluationRequest & { subject: Entity; resource: Entity },
): boolean {
  return (
    entityMatches(rule.subject, request.subject) &&
    entityMatches(rule.resource, request.resource) &&
    actionMatches(rule.action, request.action)
  );
}

/**
 * A policy engine: evaluates AuthZEN requests against a {@link Policy} and {@link Facts}. The
 * app's own list and todo policy is one such policy; any other (a certification fixture) loads
 * into the same engine and the same endpoints.
 */
export function createEngine(policy: Policy, facts: Facts) {
  async function evaluate(request: EvaluationRequest): Promise<Decision> {
    const full = facts.properties
      ? {
          ...request,
          subject: await withKnownProperties(facts, request.subject),
          resource: await withKnownProperties(facts, request.resource),
        }
      : request;
    let refusal: string | undefined;
    for (const rule of policy.rules) {
      if (!ruleMatches(rule, full)) continue;
      if (rule.requirement) {
        const checked = facts.check(full, rule.requirement);
        const outcome = checked instanceof Promise ? await checked : checked;
        if (!outcome.allowed) {
          refusal ??= outcome.reason;
          continue;
        }
      }
      const reason = rule.reason ?? (rule.effect === 'permit' ? 'allowed' : 'denied_by_rule');
      return rule.effect === 'permit'
        ? { decision: true }
        : { decision: false, context: { reason } };
    }
    return { decision: false, context: { reason: refusal ?? 'no_rule_permits' } };
  }

  return {
    evaluate,

    /** Lets the facts load what these evaluations need in one go (a batch, §7). */
    async prefetch(requests: readonly EvaluationRequest[]): Promise<void> {
      await facts.prefetch?.(requests);
    },

    /** Subjects of the requested type allowed the action on the resource (§8.4). */
    searchSubjects(request: SearchRequest, page: SearchPage): Promise<SearchFound<Entity>> {
      const resource = request.resource as Entity;
      const ask = asking(request);
      return searchPage(undefined, evaluate, page, async (range) =>
        (await facts.subjects(request.subject.type, resource, range)).map((subject) =>
          candidate(subject.id, ask(subject, resource), 'subject'),
        ),
      );
    },

    /** Resources of the requested type the subject may act on (§8.5). */
    searchResources(request: SearchRequest, page: SearchPage): Promise<SearchFound<Entity>> {
      const subject = request.subject as Entity;
      const ask = asking(request);
      return searchPage(undefined, evaluate, page, async (range) =>
        (await facts.resources(request.resource.type, subject, range)).map((resource) =>
          candidate(resource.id, ask(subject, resource), 'resource'),
        ),
      );
    },

    /** Actions the subject may take on the resource (§8.6), in the policy's order. */
    searchActions(request: SearchRequest, page: SearchPage): Promise<SearchFound<Action>> {
      const subject = request.subject as Entity;
      const resource = request.resource as Entity;
      // The policy's own types only: `valueOf` or `constructor` is none of them.
      const names = new Map(Object.entries(policy.actions)).get(resource.type) ?? [];
      return searchPage(facts.prefetch?.bind(facts), evaluate, page, async ({ after, limit }) => {
        // A position naming no action of this type (the policy changed) continues nowhere.
        const from = after === undefined ? 0 : names.indexOf(after) + 1;
        if (from === 0 && after !== undefined) return [];
        return names.slice(from, from + limit).map((name) => ({
          key: name,
          request: { ...base(request), subject, resource, action: { name } },
          result: { name },
        }));
      });
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;

/** Builds the engine answering one AuthZEN request; tests hand in another policy. */
export type EngineFactory = (request: FastifyRequest) => Engine;

/** The evaluation of one candidate of a search: its action and context, this subject, resource. */
function asking(request: SearchRequest): (subject: Entity, resource: Entity) => EvaluationRequest {
  const action = request.action ?? { name: '' };
  const { context } = request;
  return context
    ? (subject, resource) => ({ action, subject, resource, context })
    : (subject, resource) => ({ action, subject, resource });
}

/** The action and context of a search, as an evaluation's. */
function base(request: SearchRequest) {
  return {
    action: request.action ?? { name: '' },
    ...(request.context && { context: request.context }),
  };
}
