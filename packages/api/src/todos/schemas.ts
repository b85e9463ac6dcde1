import { type Static, Type } from 'typebox';
import { LineText, MultilineText, PageOf, PageQuery, Text, Uuid } from '../schemas/common.js';

/** What a caller may send: one line of title, a description that may hold line breaks. */
const Title = LineText({ minLength: 1, maxLength: 200 });
const Description = Type.Union([MultilineText({ maxLength: 2000 }), Type.Null()]);

/**
 * What the API answers: the text as stored. A todo written before control characters were
 * refused may hold them, and a serializer that checked the input rule would fail its reads
 * (fast-json-stringify checks a union's branches against the value).
 */
const StoredTitle = Text({ minLength: 1, maxLength: 200 });
const StoredDescription = Type.Union([Text({ maxLength: 2000 }), Type.Null()]);

export const Todo = Type.Object({
  id: Uuid,
  listId: Type.String({ format: 'uuid', description: 'The list the todo belongs to' }),
  title: StoredTitle,
  description: StoredDescription,
  completed: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer({
    minimum: 1,
    description:
      'Grows on every change; the ETag is this number in quotes. Send it back in If-Match to change only what you saw.',
  }),
});

/** A todo as the API returns it. */
export type Todo = Static<typeof Todo>;

/**
 * Body of `POST /todos/`; unknown fields (an `owner`, say) are refused, not ignored. Without
 * `listId` the todo goes into the caller's default list.
 */
export const CreateTodo = Type.Object(
  {
    listId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'A list the caller may write; default list when absent',
      }),
    ),
    title: Title,
    description: Type.Optional(Description),
    completed: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type CreateTodo = Static<typeof CreateTodo>;

/** Body of `PUT /todos/{id}`: the whole todo; a missing description clears it. */
export const ReplaceTodo = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    completed: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** Body of `PATCH /todos/{id}`: any subset of the fields, at least one. */
export const PatchTodo = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    completed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** The fields a caller may change on a todo (`PATCH`). */
export type PatchTodo = Static<typeof PatchTodo>;

/** Body of `POST /lists/{id}/todos/`: the list is the path's. */
export const CreateListTodo = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    completed: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

/** What a caller may set on a new todo: its fields, without the list. */
export type TodoInput = Static<typeof CreateListTodo>;

/** Query of `GET /lists/{id}/todos/`: the list is the path's. */
export const ListTodosQuery = Type.Object(
  { completed: Type.Optional(Type.Boolean()), ...PageQuery },
  { additionalProperties: false },
);

export const TodoListQuery = Type.Object(
  {
    completed: Type.Optional(Type.Boolean()),
    list: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only the todos of this list' }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const TodoPage = PageOf(Todo);
export type TodoPage = Static<typeof TodoPage>;

/**
 * `If-Match` (RFC 9110 §13.1.1) on PUT, PATCH and DELETE: the todo's ETag as last read
 * (`"3"`), or `*`. A todo changed since answers 412 with its current state in `current`;
 * without the header the change applies whatever the todo's version (last write wins).
 */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'The ETag you last read ("<version>"); 412 with the current state when the todo changed since',
    }),
  ),
});
