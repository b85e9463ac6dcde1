import { Type } from 'typebox';
import { LineText, PageQuery, Text } from '../schemas/common.js';
import { adminWorkText } from '../schemas/security.js';
import { MAX_USER_PAGE } from './user-page.js';

const Nullable = Type.Union([Type.String(), Type.Null()]);
/**
 * A Keycloak user id: a UUID, or for a user federated without import (LDAP, a user storage
 * provider) `f:<provider component id>:<external id>`. Letters, digits, `-`, `_` and `:` alone:
 * no `/`, `.` or `%` that could make the admin URL it is put into another one, refused before
 * any call is made.
 */
const UserId = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_:-]+$' });

export const IdpUserParams = Type.Object({ id: UserId }, { additionalProperties: false });

export const IdpRoleParams = Type.Object(
  {
    id: UserId,
    role: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9:_.-]+$' }),
  },
  { additionalProperties: false },
);

export const IdpUserQuery = Type.Object(
  {
    search: Type.Optional(
      Text({ maxLength: 100, description: 'Part of a username, email or name' }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_USER_PAGE,
        default: MAX_USER_PAGE,
        description: `Page size, at most ${MAX_USER_PAGE}`,
      }),
    ),
    cursor: PageQuery.cursor,
  },
  { additionalProperties: false },
);

export const IdpUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Nullable,
  firstName: Nullable,
  lastName: Nullable,
  enabled: Type.Boolean(),
  department: Nullable,
  realmRoles: Type.Array(Type.String(), { description: 'Realm roles granted directly' }),
  permissions: Type.Array(Type.String(), {
    description: "The API's permissions (its client roles) granted directly",
  }),
});

/** A subject whose tokens issued until now are refused. */
const Revoked = Type.Object({
  issuer: Type.String(),
  sub: Type.String(),
  notBefore: Type.String(),
});

export const IdpUserGone = Type.Object(
  {
    id: Type.String(),
    gone: Type.Literal(true),
    detail: Type.String(),
    revoked: Type.Array(Revoked),
  },
  {
    description:
      'A person the identity provider no longer has (deleted there). Either disabling someone deleted before the change whom the API has seen: there was no one left to disable, and the access tokens the provider issued them before are refused here (`revoked`); or a change that was made and audited, the person deleted there before they could be read back (`revoked`: their tokens refused by the change, if it refuses them)',
  },
);

export const IdpUserList = Type.Object({
  items: Type.Array(IdpUser),
  assignable: Type.Object({
    realmRoles: Type.Array(Type.String()),
    permissions: Type.Array(Type.String()),
  }),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description:
      'Pass back as `cursor` (with the same `search`) for the next page; `null` on the last page',
  }),
});

const Password = Text({ minLength: 8, maxLength: 128 });

export const NewIdpUserBody = Type.Object(
  {
    username: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[A-Za-z0-9._@-]+$',
      description: 'Letters, digits and . _ @ -',
    }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    emailVerified: Type.Optional(
      Type.Boolean({
        description:
          "Whether the identity provider is to hold the email as verified (default false). Only when you know the address is this person's: sharing finds people by email only when their provider says it is verified (OpenID Connect Core §5.7); unverified, they are found by username until they verify it. Needs email.",
      }),
    ),
    // Names and the department reach tokens, the audit log and the reports: one line each.
    firstName: Type.Optional(LineText({ minLength: 1, maxLength: 100 })),
    lastName: Type.Optional(LineText({ minLength: 1, maxLength: 100 })),
    department: Type.Optional(LineText({ minLength: 1, maxLength: 100 })),
    enabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
    temporaryPassword: Type.Optional(
      Type.Boolean({ description: 'Must be changed at the first sign-in (default true)' }),
    ),
  },
  { additionalProperties: false },
);

export const IdpUserPatch = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    department: Type.Optional(
      Type.Union([LineText({ minLength: 1, maxLength: 100 }), Type.Null()], {
        description: 'null removes it',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ResetPasswordBody = Type.Object(
  {
    password: Password,
    endSessions: Type.Optional(
      Type.Boolean({
        description:
          "Also end every session of the person at the identity provider and refuse their current access tokens here, as `POST /admin/idp/users/{id}/logout` does (default true: a password is usually reset because the account may be in someone else's hands)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const IdpSessions = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      ipAddress: Nullable,
      start: Nullable,
      lastAccess: Nullable,
      clients: Type.Array(Type.String()),
    }),
  ),
});

export const SessionsEnded = Type.Object({
  identityProvider: Type.Object({
    sessionsEnded: Type.Boolean(),
    detail: Type.String(),
  }),
  revoked: Type.Array(Revoked),
});

export const PasswordSet = Type.Object({
  temporary: Type.Literal(true),
  sessionsEnded: Type.Boolean({
    description: "Whether the person's sessions were ended at the identity provider with it",
  }),
  detail: Type.String(),
  revoked: Type.Array(Revoked),
});

/** The summary and description of granting (`PUT`) or removing (`DELETE`) a role. */
export function roleChangeText(granted: boolean): { summary: string; description: string } {
  const done = granted
    ? "Grants a user a realm role or one of the API's permissions (a client role of the API's client)."
    : "Removes a realm role or one of the API's permissions from a user.";
  return {
    summary: granted
      ? "Grant a realm role or one of the API's permissions"
      : "Remove a realm role or one of the API's permissions",
    description: `${done} ${granted ? "Takes effect in the user's next token; an earlier removal of it stops refusing the tokens that carry it." : "Takes effect at once: the user's access tokens that still carry it are refused at the API on every instance (401 `token_revoked`), whenever issued, and the token their client gets by refreshing, without it, is accepted."} An unknown user, role or permission is 404. Audited. 501 when the API has no admin API for the provider (\`IDP_ADMIN_URL\`), 502 when the provider refuses the API's call, 503 when it cannot be reached. ${adminWorkText()}`,
  };
}
