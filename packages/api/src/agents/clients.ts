import type { ApiConfig } from '../config/config.js';

/**
 * Which clients are agents: every client a person's token names in `azp` (or, RFC 9068 §2.2,
 * `client_id`) except the product's own (`FIRST_PARTY_CLIENTS`: the web app and the command
 * line; the interactive docs' `OIDC_DOCS_CLIENT_ID`) and the API's own client of the token's
 * issuer (`OIDC_CLIENT_ID`, or `OIDC_ISSUERS[n].clientId`: its service account, the PEP). A
 * client id is a name within one issuer (RFC 6749 §2.2: unique to the authorization server),
 * so an issuer's API client counts only for tokens of that issuer: another issuer's client of
 * the same name is an agent. A token without `azp`, `client_id`, `cid` or `appid` names no client: it is no
 * agent's here (nothing to record or revoke by client), but it is no first party's either, so the
 * authorization core refuses it wherever the app's own client is required (`firstParty`).
 *
 * @example
 * ```ts
 * const isAgent = agentClassifier(config);
 * isAgent('todo-ui'); // false
 * isAgent('3f9c…');   // true: a dynamically registered client
 * isAgent('todo-api', 'https://other.example'); // true unless that issuer's clientId
 * ```
 */
export function agentClassifier(
  config: ApiConfig,
): (clientId: string | undefined, issuer?: string) => boolean {
  const own = new Set([...config.firstPartyClients, config.docsClientId]);
  const apiClients = new Map<string, string>();
  for (const i of config.issuers)
    if (i.clientId !== undefined) apiClients.set(i.issuer, i.clientId);
  return (clientId, issuer) =>
    clientId !== undefined &&
    clientId !== '' &&
    !own.has(clientId) &&
    // Without an issuer, fail closed: no issuer's API client is known to be meant.
    !(issuer !== undefined && apiClients.get(issuer) === clientId);
}
