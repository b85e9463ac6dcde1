import { Type } from 'typebox';
import { PERMISSIONS, type Permission } from '../authz/permissions.js';
import { Text } from './common.js';

/** One permission of the API's table: an enum, so generated clients get the exact union. */
export const PermissionName = Type.Unsafe<Permission>({
  type: 'string',
  enum: [...PERMISSIONS.all],
  description: 'A permission of the API (a client role of todo-api)',
});

/** `GET /me`; `acr`, `amr` and `authTime` only when the token carries them. */
export const Me = Type.Object({
  sub: Type.String(),
  issuer: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  permissions: Type.Array(PermissionName),
  department: Type.Union([Type.String(), Type.Null()]),
  isAdmin: Type.Boolean(),
  acr: Type.Optional(
    Type.String({ description: 'How strongly the caller signed in (`acr`, e.g. pwd or mfa)' }),
  ),
  amr: Type.Optional(
    Type.Array(Type.String(), { description: 'How the caller signed in (`amr`, RFC 8176)' }),
  ),
  authTime: Type.Optional(
    Type.Integer({ description: 'When the caller signed in (`auth_time`, epoch seconds)' }),
  ),
});

export const SummaryQuery = Type.Object(
  {
    department: Type.Optional(
      Text({ minLength: 1, maxLength: 100, description: 'Default: your own department' }),
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

export const IssuerReadiness = Type.Object({
  issuer: Type.String(),
  state: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('unavailable')], {
    description:
      'ok: keys fresh and the identity provider answering; degraded: its last refresh failed ' +
      'and cached keys still verify; unavailable: nothing of this issuer can be verified ' +
      '(keys or metadata cannot be loaded, or the provider refuses the introspection client)',
  }),
  outageSince: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When the identity provider stopped answering',
    }),
  ),
  clientRefusedSince: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        "Since when the introspection endpoint refuses the API's client credentials " +
        '(OIDC_CLIENT_ID / OIDC_CLIENT_SECRET); an introspecting issuer is then unavailable',
    }),
  ),
  lastSuccessfulFetch: Type.Optional(Type.String({ format: 'date-time' })),
  staleKeys: Type.Boolean({ description: 'Keys past their TTL, used only because of the outage' }),
});

export const Readiness = Type.Object({
  status: Type.Union(
    [Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable')],
    {
      description:
        'ready (200); degraded (200: still serving, an identity provider is down and its cached ' +
        'keys verify); unavailable (503: a check failed)',
    },
  ),
  checks: Type.Record(Type.String(), Type.Boolean()),
  issuers: Type.Array(IssuerReadiness),
});

/** OpenID Connect Back-Channel Logout 1.0 §2.5: a form-encoded `logout_token`. */
export const LogoutForm = Type.Object({ logout_token: Type.String({ minLength: 1 }) });
