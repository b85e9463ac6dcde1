import { Type } from 'typebox';
import { PageOf, PageQuery, Text } from '../schemas/common.js';
import { adminWorkText } from '../schemas/security.js';

export const Agent = Type.Object(
  {
    clientId: Type.String({ description: 'The client (`azp`) the tokens were issued to' }),
    firstUsedAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.String({
      format: 'date-time',
      description: 'Last call seen, to within a minute (recorded at most once a minute)',
    }),
  },
  { additionalProperties: false },
);

export const AgentList = Type.Object({ items: Type.Array(Agent) }, { additionalProperties: false });

export const AgentParams = Type.Object(
  { clientId: Text({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);

export const AgentRevoked = Type.Object(
  {
    clientId: Type.String(),
    notBefore: Type.String({
      format: 'date-time',
      description: "The agent's tokens issued until then are refused on every API instance",
    }),
    identityProvider: Type.Object(
      { grantEnded: Type.Boolean(), detail: Type.String() },
      {
        description:
          "Whether the agent's consent and grant (so its refresh tokens) were ended at the identity provider (Keycloak: DELETE /users/{id}/consents/{client}); providers without that call are not, and detail says so",
      },
    ),
  },
  { additionalProperties: false },
);

const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** One agent grant end still pending at the identity provider (`agent_grant_ends`). */
export const GrantEnd = Type.Object(
  {
    issuer: Type.String({ description: "The person's issuer" }),
    sub: Type.String({ description: "The person's `sub`" }),
    clientId: Type.String({ description: "The agent's client (`azp`)" }),
    requestedAt: Type.String({ format: 'date-time', description: 'When the person ended it' }),
    attempts: Type.Integer({
      minimum: 0,
      description: 'Failed attempts to end the grant at the provider so far, on every instance',
    }),
    attemptedAt: { ...NullableTime, description: 'When the last failed attempt was made' },
    lastError: {
      ...Type.Union([Type.String(), Type.Null()]),
      description: "The provider's answer to the last failed attempt, in words",
    },
  },
  { additionalProperties: false },
);

export const GrantEndPage = PageOf(GrantEnd);

export const GrantEndQuery = Type.Object(
  {
    limit: PageQuery.limit,
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        // The last row's key (issuer, sub and client) in base64url: longer than other cursors.
        maxLength: 4096,
        description: 'Opaque: the `nextCursor` of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

const GrantEndKey = {
  issuer: Text({ minLength: 1, maxLength: 2048, description: "The person's issuer" }),
  sub: Text({ minLength: 1, maxLength: 255, description: "The person's `sub`" }),
  clientId: Text({ minLength: 1, maxLength: 255, description: "The agent's client (`azp`)" }),
};

export const GrantEndRetryBody = Type.Object(GrantEndKey, { additionalProperties: false });

/** What a release needs in its body when the provider does not end the grant itself. */
export const RELEASE_CONFIRMATION = 'ended-at-provider';

export const GrantEndReleaseBody = Type.Object(
  {
    ...GrantEndKey,
    confirm: Type.Optional(
      Type.Literal(RELEASE_CONFIRMATION, {
        description:
          'The operator ended the grant at the identity provider by hand: release even if the provider does not end it now',
      }),
    ),
  },
  { additionalProperties: false },
);

export const GrantEndSettled = Type.Object(
  {
    issuer: Type.String(),
    sub: Type.String(),
    clientId: Type.String(),
    outcome: Type.Union(
      [Type.Literal('ended'), Type.Literal('no_grant'), Type.Literal('released')],
      {
        description:
          "`ended`: the provider ended the grant now; `no_grant`: it held none any more; `released`: it did not end it, and the hold was released on the operator's confirmation",
      },
    ),
    refusedUntil: Type.String({
      format: 'date-time',
      description:
        "The agent's tokens issued until then (plus the clock tolerance) stay refused on every instance; nothing moves this forward any more",
    }),
    detail: Type.String(),
  },
  { additionalProperties: false },
);

/** The summary and description of `POST /admin/agents/grant-ends/retry` and `.../release`. */
export const GRANT_END_SETTLE_TEXT = {
  retry: {
    summary:
      "Ask the identity provider now to end a pending agent's grant; once it has, the hold is released",
    description: `Asks the identity provider once more, now, to end a pending assistant's grant; ended (or no grant left), the hold is released. Otherwise the provider's answer: 501 no admin API for the issuer, 502 refused, 503 unreachable, and the hold stays. Not pending is 404. Audited. ${adminWorkText()}`,
  },
  release: {
    summary: `Release a hold whose grant is gone at the identity provider: asked once more first, and refused (409) if it does not end the grant, unless confirm is "${RELEASE_CONFIRMATION}"`,
    description: `Releases a hold: the provider is asked once more first; ended (or no grant left), the hold is released. If it does not end the grant, 409 (503 when unreachable), unless \`confirm\` is \`${RELEASE_CONFIRMATION}\`, your word that the grant is gone at the provider, which releases it anyway. Not pending is 404. Audited. ${adminWorkText()}`,
  },
};
