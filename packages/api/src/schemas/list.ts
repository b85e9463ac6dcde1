import { Type } from 'typebox';
import { Text, Uuid } from './common.js';

const Name = Text({ minLength: 1, maxLength: 100 });
const RelationName = Type.Union([
  Type.Literal('owner'),
  Type.Literal('editor'),
  Type.Literal('viewer'),
]);

/** A list as the caller sees it: their relation to it and how many todos it holds. */
export const List = Type.Object({
  id: Uuid,
  name: Name,
  relation: RelationName,
  isDefault: Type.Boolean({ description: 'The caller’s first list; it cannot be deleted' }),
  todoCount: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
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
      description: 'A username or an email address of someone who has signed in before',
    }),
  },
  { additionalProperties: false },
);
