import { Type } from 'typebox';
import { PageQuery, Text, Uuid } from './common.js';

const Title = Text({ minLength: 1, maxLength: 200 });
const Description = Type.Union([Text({ maxLength: 2000 }), Type.Null()]);

export const Todo = Type.Object({
  id: Uuid,
  title: Title,
  description: Description,
  completed: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** Body of `POST /todos/`; unknown fields (an `owner`, say) are refused, not ignored. */
export const CreateTodo = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    completed: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

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

export const TodoListQuery = Type.Object(
  { completed: Type.Optional(Type.Boolean()), ...PageQuery },
  { additionalProperties: false },
);

export const TodoPage = Type.Object({
  items: Type.Array(Todo),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
