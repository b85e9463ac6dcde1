/**
 * The AuthZEN Authorization API 1.0 information model (§5): subjects and resources are typed
 * entities, actions are named, all three may carry properties; a decision is a boolean with an
 * optional context object.
 */

/** A subject or resource (AuthZEN 1.0 §5.1, §5.2). */
export interface Entity {
  readonly type: string;
  readonly id: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** An action (AuthZEN 1.0 §5.3). */
export interface Action {
  readonly name: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** One access evaluation request (AuthZEN 1.0 §6.1). */
export interface EvaluationRequest {
  readonly subject: Entity;
  readonly action: Action;
  readonly resource: Entity;
  readonly context?: Readonly<Record<string, unknown>>;
}

/** A decision (AuthZEN 1.0 §5.5); `context` carries the reason. */
export interface Decision {
  decision: boolean;
  context?: Record<string, unknown>;
}

/** Which entity a search looks for (AuthZEN 1.0 §8). */
export type SearchKind = 'subject' | 'resource' | 'action';

/** A search request: the searched-for entity carries a type (subject, resource) or is absent. */
export interface SearchRequest {
  readonly subject: { type: string; id?: string; properties?: Record<string, unknown> };
  readonly action?: Action;
  readonly resource: { type: string; id?: string; properties?: Record<string, unknown> };
  readonly context?: Readonly<Record<string, unknown>>;
}
