import type { ResolvedIssuer } from '../config.js';
import type { Principal } from '../principal.js';
import type { Finding } from './types.js';

/**
 * A verified token that names no client: none of `azp`, `client_id` (which RFC 9068 §2.2
 * requires of a JWT access token), `cid` or `appid`. The API accepts it for the person's own data, but nothing
 * tells it from an agent's, so every requirement of the app's own client (`firstParty`: the
 * admin routes, the AuthZEN API) refuses it with 403. Keycloak and Authentik both write `azp`
 * into every access token they issue, so with them it means a token minted or rewritten
 * elsewhere, or a mapper that removes the claim.
 */
export function unnamedClientFinding(
  issuer: ResolvedIssuer,
  principal: Principal,
): Finding | undefined {
  if (principal.clientId !== undefined) return undefined;
  return {
    code: 'client_id_missing',
    check: 'token',
    issuer: issuer.issuer,
    apiCode: 'forbidden',
    summary:
      "The token names no client (none of azp, client_id, cid or appid; RFC 9068 §2.2): the API cannot tell it from an agent's, so the admin routes, /me/agents and the AuthZEN API refuse it (403); the person's own todos and lists still work.",
    expected: 'azp (or client_id) naming the client the token was issued to',
    received: '(none of azp, client_id, cid or appid)',
    fix: {
      keycloak:
        'Keycloak writes azp into every access token it issues: send the token Keycloak issued (not one a gateway or token exchange minted from it), and remove any script mapper that drops azp. To name the client in a claim of its own: Clients → <client> → Client scopes → <client>-dedicated → Add mapper → By configuration → Hardcoded claim: Token Claim Name = client_id, Claim value = <client id>, Add to access token = On.',
      authentik:
        'Authentik writes azp (the provider’s client id) into every access token it issues: send the token Authentik issued, not one minted from it elsewhere. To name the client in a claim of its own: Customization → Property Mappings → Create → Scope Mapping whose scope name the client requests (e.g. profile) and whose expression is return {"client_id": "<client id>"}, then select it in the provider’s Advanced protocol settings → Scopes.',
      config:
        'FIRST_PARTY_CLIENTS cannot admit a token that names no client: the provider must name the client (RFC 9068 §2.2 client_id, or azp).',
    },
  };
}
