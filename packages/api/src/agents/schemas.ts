import { Type } from 'typebox';
import { Text } from '../schemas/common.js';

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
