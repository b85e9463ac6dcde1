import type { ApiConfig } from '../config/config.js';

/**
 * Which clients are agents: every client a person's token names in `azp` except the product's
 * own (`FIRST_PARTY_CLIENTS`: the web app and the command line; the interactive docs'
 * `OIDC_DOCS_CLIENT_ID`) and the API's own client (`OIDC_CLIENT_ID`, its service account). A token without `azp` names no client and is no
 * agent's.
 *
 * @example
 * ```ts
 * const isAgent = agentClassifier(config);
 * isAgent('todo-ui'); // false
 * isAgent('3f9c…');   // true: a dynamically registered client
 * ```
 */
export function agentClassifier(config: ApiConfig): (clientId: string | undefined) => boolean {
  const own = new Set([
    ...config.firstPartyClients,
    config.docsClientId,
    ...config.issuers.flatMap((i) => (i.clientId === undefined ? [] : [i.clientId])),
  ]);
  return (clientId) => clientId !== undefined && clientId !== '' && !own.has(clientId);
}
