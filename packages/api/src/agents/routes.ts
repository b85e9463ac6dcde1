import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { writeAndAudit } from '../audit/write-and-audit.js';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { ownerOf, principalOf, profileOf } from '../routes/principal.js';
import { problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { endAgentGrant } from './end-grant.js';
import { agentRepository } from './repository.js';
import { AgentList, AgentParams, AgentRevoked } from './schemas.js';

const TAGS = ['me'];

const LIST_SCHEMA = {
  tags: TAGS,
  operationId: 'listAgents',
  description:
    "The AI assistants (clients other than the product's own) that have acted for you, with when each was last used. Any valid token of yours through one of the product's own clients: an assistant's token, or one naming no client, is 403 `forbidden`.",
  summary: 'The agents that acted for me, most recently used first',
  security: SECURED,
  response: { 200: AgentList, ...problems(401, 403, 503) },
};

const REVOKE_SCHEMA = {
  tags: TAGS,
  operationId: 'revokeAgent',
  description:
    "Ends an AI assistant's access for you: its tokens issued until now are refused on every API instance, and the identity provider is asked to end its consent and grant so its refresh token stops working. The answer says whether the provider ended it (`identityProvider`); when the provider refuses or cannot be reached, the API keeps refusing every token of the assistant and keeps asking. Needs one of the product's own clients (an assistant's token is 403); an assistant that never acted for you is 404.",
  summary:
    "End an agent's access: its tokens issued until now are refused on every API instance within a second, and its consent and grant end at the identity provider",
  security: SECURED,
  params: AgentParams,
  // The provider refusing or unreachable is no error here: the answer says the grant is
  // pending (`identityProvider`), and the agent's tokens stay refused until it ends.
  response: { 200: AgentRevoked, ...problems(400, 401, 403, 404, 503) },
};

/**
 * Any valid token of the person through one of the product's own clients (`firstParty`, decided
 * by the authorization core like the admin routes' and answered the same way: 403 `forbidden`,
 * an RFC 6750 §3.1 `insufficient_scope` challenge without a scope, audited): an agent may
 * neither see nor end the others, nor may a token that names no client (RFC 9068 §2.2), which
 * might be an agent's.
 */
const OWN_CLIENT_ONLY = requires({ firstParty: true });

/**
 * `/me/agents`: the agents (clients other than the product's own) that acted for the caller,
 * and ending one ({@link OWN_CLIENT_ONLY}).
 */
export function agentRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { db, clock, revocations, metrics, idpAdmin, agentGrantEnds: grantEnds } = context;
  const agents = agentRepository(db);

  return async (app) => {
    app.get('/me/agents', { config: OWN_CLIENT_ONLY, schema: LIST_SCHEMA }, async (request) => ({
      items: await agents.list(ownerOf(principalOf(request))),
    }));

    app.delete(
      '/me/agents/:clientId',
      { config: OWN_CLIENT_ONLY, schema: REVOKE_SCHEMA },
      async (request) => {
        const principal = principalOf(request);
        const owner = ownerOf(principal);
        const { clientId } = request.params;
        if (!(await agents.has(owner, clientId)))
          throw new ApiError('not_found', `No agent ${clientId} acted for you`);
        // The revocation and its audit record commit together; every instance refuses the
        // agent's tokens once it is committed.
        const record = {
          actor: profileOf(principal),
          action: 'agent.revoke',
          resource: `client:${clientId}`,
          requestId: request.id,
          at: clock.now(),
        };
        // With it, when the provider can be asked to end the grant, a note that it is to end:
        // a crash before the provider answers leaves it to the retries (`AgentGrantEnds`).
        const asked = grantEnds.canEnd(principal.issuer);
        const revocation = await revocations.revokeClient(
          principal.issuer,
          principal.subject,
          clientId,
          (save) =>
            writeAndAudit(db, record, async (tx, now) => {
              const saved = await save(tx);
              if (asked) await grantEnds.remember(tx, owner, clientId, now);
              return saved;
            }),
        );
        metrics.revocations.inc({ kind: 'client', source: 'person' });
        // Then its grant at the IdP, so a refresh token cannot bring it back. When the IdP does
        // not end it, every token of the agent is refused until it does (fail closed).
        const { pending, reason, ...identityProvider } = await endAgentGrant(
          idpAdmin,
          principal.issuer,
          principal.subject,
          clientId,
        );
        if (pending) {
          await grantEnds.hold(owner, clientId);
          if (asked)
            await grantEnds.failed(owner, clientId, reason ?? 'the provider did not end it');
        } else if (asked) await grantEnds.forget(owner, clientId);
        await agents.remove(owner, clientId);
        return { clientId, notBefore: revocation.notBefore, identityProvider };
      },
    );
  };
}
