import { Type } from 'typebox';
import { APP_POLICY } from '../authz/app-policy.js';
import { LineText, Text, Uuid } from '../schemas/common.js';

/** A list's name as sent: one line. */
const Name = LineText({ minLength: 1, maxLength: 100 });
/** As stored and answered: a list named before control characters were refused may hold them. */
const StoredName = Text({ minLength: 1, maxLength: 100 });
const RelationName = Type.Union([
  Type.Literal('owner'),
  Type.Literal('editor'),
  Type.Literal('viewer'),
]);

/** The AuthZEN actions on a list, as the authorization core names them. */
export const ListActionName = Type.Union(
  (Object.keys(APP_POLICY.list) as (keyof typeof APP_POLICY.list)[]).map((a) => Type.Literal(a)),
);

/** A list as the caller sees it: their relation to it and how many todos it holds. */
export const List = Type.Object({
  id: Uuid,
  name: StoredName,
  relation: RelationName,
  isDefault: Type.Boolean({ description: 'The caller’s first list; it cannot be deleted' }),
  todoCount: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer({
    minimum: 1,
    description: 'Grows on every rename; the ETag is this number in quotes ("<version>")',
  }),
  actions: Type.Array(ListActionName, {
    description:
      'What the caller may do to this list, in the AuthZEN action vocabulary, decided by the authorization core in one batch for the whole response',
  }),
});

export const ListArray = Type.Array(List);

/** Body of `POST /lists/` and `PATCH /lists/{id}`. */
export const ListName = Type.Object({ name: Name }, { additionalProperties: false });

export const Member = Type.Object({
  sub: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  relation: RelationName,
});

export const MemberArray = Type.Array(Member);

/** Body of `PUT /lists/{id}/members/{username}`: the owner's relation is not for sharing. */
export const Share = Type.Object(
  { relation: Type.Union([Type.Literal('editor'), Type.Literal('viewer')]) },
  { additionalProperties: false },
);

export const ListParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const MemberParams = Type.Object(
  {
    id: Uuid,
    username: Type.String({
      minLength: 1,
      maxLength: 320,
      description:
        'A member of the list by username or email; otherwise a username of a person of your own identity provider, or an email address their provider verified (a person of any provider), of someone who has used their todos or lists before',
    }),
  },
  { additionalProperties: false },
);

/** `If-Match` of a list write: the list's ETag as last read. */
export const ListIfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'The ETag you last read ("<version>"); 412 with the current state when the list changed since',
    }),
  ),
});
