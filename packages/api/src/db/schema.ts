import type { ColumnType, Generated } from 'kysely';

/**
 * Timestamps are ISO 8601 strings in SQLite (`TEXT`, fixed width so they sort) and
 * `timestamptz` in PostgreSQL, which the driver reads back as a `Date`.
 */
export type Timestamp = ColumnType<Date | string, string, string>;
/** SQLite has no boolean: it stores 0/1. Write through `Db.bool()`. */
export type Bool = ColumnType<boolean | number, boolean | number, boolean | number>;

/**
 * A todo, in exactly one list. Its owner is who created it, the token's (`iss`, `sub`), never a
 * field of a request body; who may read or change it follows from its list's members.
 */
export interface TodoTable {
  id: string;
  list_id: string;
  owner_issuer: string;
  owner_sub: string;
  title: string;
  description: string | null;
  completed: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** 1 at creation, one more on every change; the todo's entity tag. */
  version: Generated<number>;
}

/**
 * A list of todos. Its owner is also a row of `list_members` with relation `owner`. On SQLite
 * it also has `todo_count`, and each membership `list_large`, kept by triggers (migration 009)
 * for the page statement and the lists' `todoCount`; they are not part of this shared schema.
 */
export interface ListTable {
  id: string;
  owner_issuer: string;
  owner_sub: string;
  name: string;
  /** Each person's first list, created on first use; it cannot be deleted. */
  is_default: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** 1 at creation, one more on every rename; the list's entity tag. */
  version: Generated<number>;
}

/** What a person is to a list: exactly one `owner` per list, any number of the others. */
export type Relation = 'owner' | 'editor' | 'viewer';

/** A person's relation to a list: the fact every access decision on lists and todos reads. */
export interface ListMemberTable {
  list_id: string;
  member_issuer: string;
  member_sub: string;
  relation: Relation;
  created_at: Timestamp;
}

/** Everyone who has written a todo, as their last token described them (for reports). */
export interface OwnerTable {
  issuer: string;
  sub: string;
  username: string | null;
  email: string | null;
  department: string | null;
  last_seen_at: Timestamp;
}

/** Every write and every authorization denial: who, what, when, outcome. */
export interface AuditTable {
  id: string;
  at: Timestamp;
  actor_issuer: string | null;
  actor_sub: string | null;
  /** The client (`azp`) whose token made the request; null when unknown or before it was kept. */
  actor_client: ColumnType<string | null, string | null | undefined, string | null>;
  action: string;
  resource: string | null;
  outcome: 'success' | 'denied';
  detail: string | null;
  request_id: string | null;
  /** Further denials of the same subject this record stands for (not written one by one). */
  suppressed: ColumnType<number, number | undefined, number>;
}

/**
 * A revoked session (`kind = 'session'`, `value` = `sid`) or subject (`kind = 'subject'`,
 * `value` = `sub`, tokens issued at or before `not_before` are refused; `'sessionless'` the
 * same for the subject's tokens without a `sid`; `'client'`, `value` = `["<sub>","<azp>"]`, the
 * same for the subject's tokens issued to one client, an agent). Kept until
 * `expires_at`, when every token it could match has expired anyway.
 */
export interface RevocationTable {
  issuer: string;
  kind: 'session' | 'subject' | 'sessionless' | 'client';
  value: string;
  not_before: Timestamp;
  expires_at: Timestamp;
}

/** Roles removed from a person: their tokens still carrying one are refused (`role` revocations). */
export interface RoleRevocationTable {
  issuer: string;
  sub: string;
  role: string;
  removed_at: Timestamp;
  granted_at: Timestamp;
  expires_at: Timestamp;
}

/** `jti`s of accepted logout tokens, so a replayed one is refused (OIDC BCL 1.0 §2.6 step 8). */
export interface LogoutJtiTable {
  issuer: string;
  jti: string;
  expires_at: Timestamp;
}

/**
 * A client other than the product's own that acted for a person (an agent): first and last use
 * as the API saw its tokens (last use written at most once a minute per instance).
 */
export interface AgentClientTable {
  issuer: string;
  sub: string;
  client_id: string;
  first_used_at: Timestamp;
  last_used_at: Timestamp;
}

/**
 * Agents a person ended whose grant the identity provider could not end yet: retried until it
 * does, the agent's tokens refused meanwhile (`agents/grant-ends.ts`).
 */
export interface AgentGrantEndTable {
  issuer: string;
  sub: string;
  client_id: string;
  requested_at: Timestamp;
  /** Failed attempts since the agent was ended. */
  attempts: Generated<number>;
  /** When the provider was last asked (null: not yet by a retry). */
  attempted_at: ColumnType<Date | string | null, string | null | undefined, string | null>;
  /** Why the last attempt failed (the provider's answer in words, never a token). */
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Used DPoP proofs (`key` = hash of key thumbprint and `jti`), until they would be too old. */
export interface DpopProofTable {
  key: string;
  expires_at: Timestamp;
}

/**
 * The answer to a todo created with an `Idempotency-Key`, per caller, client and key, for a day:
 * what a retry with the same key and the same request (`fingerprint`) is answered.
 */
export interface IdempotencyKeyTable {
  issuer: string;
  sub: string;
  /**
   * The OAuth client that chose the key (`azp` / `client_id`; an agent's is its client id), `''`
   * for a token that names none and for keys stored before clients were recorded.
   */
  client_id: string;
  key: string;
  /** SHA-256 (hex) of the request's effective content: target list, title, description, done. */
  fingerprint: string;
  status: number;
  /** The response body as JSON text. */
  body: string;
  location: string | null;
  etag: string | null;
  created_at: Timestamp;
}

/** The database as Kysely sees it: one typed schema for SQLite and PostgreSQL. */
export interface Schema {
  todos: TodoTable;
  lists: ListTable;
  list_members: ListMemberTable;
  owners: OwnerTable;
  audit_log: AuditTable;
  revocations: RevocationTable;
  role_revocations: RoleRevocationTable;
  logout_jtis: LogoutJtiTable;
  dpop_proofs: DpopProofTable;
  agent_clients: AgentClientTable;
  agent_grant_ends: AgentGrantEndTable;
  idempotency_keys: IdempotencyKeyTable;
}

/** Owner key of every owner-scoped query. */
export interface Owner {
  readonly issuer: string;
  readonly subject: string;
}
