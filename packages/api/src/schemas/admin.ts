import { type Static, Type } from 'typebox';
import { Todo } from '../todos/schemas.js';
import { LineText, PageOf, PageQuery, Text } from './common.js';

export const OwnerSummary = Type.Object({
  issuer: Type.String(),
  sub: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  department: Type.Union([Type.String(), Type.Null()]),
  todos: Type.Integer(),
  completed: Type.Integer(),
});

/** An owner with their todo counts (admin listing). */
export type OwnerSummary = Static<typeof OwnerSummary>;

export const OwnerList = Type.Object({ items: Type.Array(OwnerSummary) });

export const AdminTodoQuery = Type.Object(
  {
    owner: Type.Optional(Text({ minLength: 1, maxLength: 255, description: 'A `sub`' })),
    issuer: Type.Optional(
      Text({
        minLength: 1,
        maxLength: 2048,
        description: 'An issuer; with `owner`, one person exactly when several issuers are trusted',
      }),
    ),
    completed: Type.Optional(Type.Boolean()),
    ...PageQuery,
  },
  { additionalProperties: false },
);

/** A todo as an administrator sees it: with its owner's `sub` and issuer. */
export const AdminTodo = Type.Intersect([
  Todo,
  Type.Object({
    owner: Type.String({ description: 'The owner’s `sub`' }),
    ownerIssuer: Type.String({ description: 'The issuer of the owner’s tokens' }),
  }),
]);
export type AdminTodo = Static<typeof AdminTodo>;

export const AdminTodoPage = PageOf(AdminTodo);

export const AuditQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

const Nullable = Type.Union([Type.String(), Type.Null()]);
/** One audit record as admins read it. */
export const AuditEntry = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actorIssuer: Nullable,
  actorSub: Nullable,
  actorName: { ...Nullable, description: "The actor's username (or email) as last seen" },
  actorClient: {
    ...Nullable,
    description:
      'The OAuth client whose token made the request (`azp`, else `client_id`); null for a token naming none, a write no token made (back-channel logout), and records written before the API recorded it',
  },
  action: Type.String(),
  resource: Nullable,
  outcome: Type.Union([Type.Literal('success'), Type.Literal('denied')]),
  detail: Nullable,
  requestId: Nullable,
  suppressed: Type.Integer({
    minimum: 0,
    description:
      'Further denials of the same subject in the same minute that this record stands for (counted, not written one by one)',
  }),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditPage = PageOf(AuditEntry);

export const RevokeBody = Type.Object(
  {
    // Recorded in the audit log (`subject:<sub>`): one line, no control characters.
    sub: LineText({ minLength: 1, maxLength: 255 }),
    issuer: Type.Optional(
      Text({ minLength: 1, description: 'Only this issuer; default every trusted one' }),
    ),
  },
  { additionalProperties: false },
);

export const RevokeResult = Type.Object({
  revoked: Type.Array(
    Type.Object({ issuer: Type.String(), sub: Type.String(), notBefore: Type.String() }),
  ),
  identityProvider: Type.Object(
    {
      sessionsEnded: Type.Boolean(),
      detail: Type.String(),
    },
    {
      description:
        "Whether the person's sessions (and so their refresh tokens) were ended at the identity provider: Keycloak through its admin API; providers without such a call (Authentik, generic) are not, and detail says so",
    },
  ),
});
