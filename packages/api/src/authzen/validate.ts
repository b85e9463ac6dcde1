import type { FieldError } from '../http/problem.js';
import type { Action, Entity, EvaluationRequest, SearchKind, SearchRequest } from './model.js';

/**
 * A request that breaks the AuthZEN 1.0 information model: a required member is missing or of
 * the wrong type (§10.1.1: "If a required attribute … is omitted, the server MUST return a
 * Bad Request error"). Unknown members are ignored (§10.1.1, forward compatibility).
 */
export class AuthzenRequestError extends Error {
  override readonly name = 'AuthzenRequestError';
  readonly code = 'ERR_AUTHZEN_REQUEST';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field} ${e.message}`).join('; '));
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects field errors while reading one request. */
class Reader {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  object(value: unknown, field: string, required: boolean): Json | undefined {
    if (value === undefined) {
      if (required) this.fail(field, 'is required');
      return undefined;
    }
    if (!isObject(value)) {
      this.fail(field, 'must be an object');
      return undefined;
    }
    return value;
  }

  string(value: Json, key: string, field: string, required: boolean): string | undefined {
    const v = value[key];
    if (v === undefined) {
      if (required) this.fail(`${field}.${key}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.fail(`${field}.${key}`, 'must be a non-empty string');
      return undefined;
    }
    return v;
  }

  properties(value: Json, field: string): Json | undefined {
    return this.object(value.properties, `${field}.properties`, false);
  }

  /**
   * A subject or resource. The entity a search looks for (`needsId` false) is read without its
   * `id`: it "SHOULD be omitted, and if present, MUST be ignored" (§8.4, §8.5), whatever it holds.
   */
  entity(value: unknown, field: string, needsId = true) {
    const raw = this.object(value, field, true);
    if (!raw) return undefined;
    const type = this.string(raw, 'type', field, true);
    const id = needsId ? this.string(raw, 'id', field, true) : undefined;
    const properties = this.properties(raw, field);
    if (type === undefined || (needsId && id === undefined)) return undefined;
    return {
      type,
      ...(id !== undefined && { id }),
      ...(properties && { properties }),
    } as Entity;
  }

  action(value: unknown, field: string): Action | undefined {
    const raw = this.object(value, field, true);
    if (!raw) return undefined;
    const name = this.string(raw, 'name', field, true);
    const properties = this.properties(raw, field);
    if (name === undefined) return undefined;
    return { name, ...(properties && { properties }) };
  }

  done<T>(value: T): T {
    if (this.errors.length > 0) throw new AuthzenRequestError(this.errors);
    return value;
  }
}

/** The top level of every request body must be a JSON object (§10.1.1). */
export function requestObject(body: unknown): Json {
  if (!isObject(body)) {
    throw new AuthzenRequestError([{ field: 'body', message: 'must be a JSON object' }]);
  }
  return body;
}

/** One access evaluation request (§6.1): subject, action and resource required. */
export function readEvaluation(body: unknown, prefix = 'body'): EvaluationRequest {
  const raw = requestObject(body);
  const r = new Reader();
  const subject = r.entity(raw.subject, `${prefix}.subject`);
  const action = r.action(raw.action, `${prefix}.action`);
  const resource = r.entity(raw.resource, `${prefix}.resource`);
  const context = r.object(raw.context, `${prefix}.context`, false);
  return r.done({
    subject: subject as Entity,
    action: action as Action,
    resource: resource as Entity,
    ...(context && { context }),
  });
}

/** The evaluation semantics of a batch (§7.1.2.1); `execute_all` by default. */
export type Semantic = 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit';
const SEMANTICS: readonly Semantic[] = [
  'execute_all',
  'deny_on_first_deny',
  'permit_on_first_permit',
];

/** An access evaluations request (§7.1): defaults, items (raw, read one by one), semantic. */
export interface BatchRequest {
  readonly defaults: Json;
  /** Undefined when there is no `evaluations` array or it is empty (single evaluation, §7.1). */
  readonly items: readonly unknown[] | undefined;
  readonly semantic: Semantic;
}

export function readBatch(body: unknown): BatchRequest {
  const raw = requestObject(body);
  const r = new Reader();
  const items = raw.evaluations;
  if (items !== undefined && !Array.isArray(items)) r.fail('body.evaluations', 'must be an array');
  const options = r.object(raw.options, 'body.options', false);
  const semantic = options?.evaluations_semantic ?? 'execute_all';
  if (!SEMANTICS.includes(semantic as Semantic)) {
    r.fail('body.options.evaluations_semantic', `must be one of ${SEMANTICS.join(', ')}`);
  }
  // Defaults that are present must be well-formed: a bad default breaks the whole payload.
  if (raw.subject !== undefined) r.entity(raw.subject, 'body.subject');
  if (raw.action !== undefined) r.action(raw.action, 'body.action');
  if (raw.resource !== undefined) r.entity(raw.resource, 'body.resource');
  r.object(raw.context, 'body.context', false);
  return r.done({
    defaults: raw,
    items: Array.isArray(items) && items.length > 0 ? items : undefined,
    semantic: semantic as Semantic,
  });
}

/**
 * One item of a batch with the top-level defaults filled in (§7.1.1): a key the item gives
 * replaces the default whole, a key it omits is inherited whole.
 */
export function readBatchItem(defaults: Json, item: unknown, index: number): EvaluationRequest {
  const field = `body.evaluations[${index}]`;
  if (!isObject(item)) throw new AuthzenRequestError([{ field, message: 'must be an object' }]);
  const merged: Json = {};
  for (const key of ['subject', 'action', 'resource', 'context']) {
    const value = item[key] !== undefined ? item[key] : defaults[key];
    if (value !== undefined) merged[key] = value;
  }
  return readEvaluation(merged, field);
}

/** A search request (§8): the searched-for entity needs only its type, the others are inputs. */
export function readSearch(kind: SearchKind, body: unknown): SearchRequest {
  const raw = requestObject(body);
  const r = new Reader();
  const subject = r.entity(raw.subject, 'body.subject', kind !== 'subject');
  const action = kind === 'action' ? undefined : r.action(raw.action, 'body.action');
  const resource = r.entity(raw.resource, 'body.resource', kind !== 'resource');
  const context = r.object(raw.context, 'body.context', false);
  const page = r.object(raw.page, 'body.page', false);
  if (page) {
    const { limit, token } = page;
    if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 0)) {
      r.fail('body.page.limit', 'must be a non-negative integer');
    }
    if (token !== undefined && typeof token !== 'string') {
      r.fail('body.page.token', 'must be a string');
    }
  }
  return r.done({
    // §8.4, §8.5: the searched-for entity's id "SHOULD be omitted, and if present, MUST be
    // ignored".
    subject: kind === 'subject' ? { type: (subject as Entity).type } : (subject as Entity),
    resource: kind === 'resource' ? { type: (resource as Entity).type } : (resource as Entity),
    ...(action && { action }),
    ...(context && { context }),
  });
}

/** The `page` member of a search request, already validated by {@link readSearch}. */
export function pageOf(body: unknown): { limit?: number; token?: string } | undefined {
  const page = (body as Json).page;
  return isObject(page) ? (page as { limit?: number; token?: string }) : undefined;
}
