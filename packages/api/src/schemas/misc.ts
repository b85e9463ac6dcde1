import { Type } from 'typebox';

export const Me = Type.Object({
  sub: Type.String(),
  issuer: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  permissions: Type.Array(Type.String()),
  department: Type.Union([Type.String(), Type.Null()]),
  isAdmin: Type.Boolean(),
});

export const SummaryQuery = Type.Object(
  {
    department: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Default: your own department' }),
    ),
  },
  { additionalProperties: false },
);

export const Summary = Type.Object({
  department: Type.Union([Type.String(), Type.Null()], { description: 'null: every department' }),
  total: Type.Integer(),
  completed: Type.Integer(),
  pending: Type.Integer(),
});

export const Health = Type.Object({ status: Type.Literal('ok') });

export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.Boolean()),
});

/** OpenID Connect Back-Channel Logout 1.0 §2.5: a form-encoded `logout_token`. */
export const LogoutForm = Type.Object({ logout_token: Type.String({ minLength: 1 }) });
