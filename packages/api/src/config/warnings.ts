import { PROFILES, shownUrl } from '@todo-sso/auth';
import { isLoopbackHostname } from '../http/loopback.js';
import type { ApiConfig } from './config.js';

/**
 * Settings that start the API but that a production deployment should not run with, one
 * sentence each, printed once at start-up by `server.ts` (and by `todo doctor`).
 *
 * @param env the environment the configuration was read from, to name the variable behind an
 *   issuer (`OIDC_ISSUER`, or `OIDC_ISSUERS[i].issuer`).
 * @returns the warnings; empty for the embedded development setup (SQLite) and a complete one.
 */
export function configWarnings(
  config: ApiConfig,
  env: Readonly<Record<string, string | undefined>> = {},
): string[] {
  if (config.database.kind !== 'postgres') return [];
  const warnings: string[] = [];
  if (config.publicUrl === undefined)
    warnings.push(
      "API_PUBLIC_URL is not set: the API knows its resource identifiers (RFC 8707, RFC 9728) only for requests to a loopback address on its own port, so elsewhere /mcp and the protected resource metadata answer 503 and the REST routes accept OIDC_AUDIENCE alone; set API_PUBLIC_URL to the API's public base URL",
    );
  // The issuer whose Keycloak Admin REST API the API calls (admin-idp/connection.ts).
  const admin = config.issuers.find((i) => PROFILES[i.profile].keycloakAdminApi);
  if (admin !== undefined && (admin.clientId === undefined || admin.clientSecret === undefined))
    warnings.push(
      "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are not both set: without the API's own client the Admin screen's people management (/admin/idp/*) answers 501, and revoking a person (POST /admin/sessions/revoke) or an agent (DELETE /me/agents/{clientId}) cannot end their sessions or grant at the provider, so their refresh tokens keep working; set both to the API's confidential client (its service account needs realm-management view-users, manage-users, query-groups and view-clients)",
    );
  const listed = (env.OIDC_ISSUERS ?? '').trim() !== '' || config.issuers.length > 1;
  config.issuers.forEach(({ issuer }, index) => {
    const url = new URL(issuer);
    // OpenID Connect Discovery 1.0 §3 and RFC 8414 §2: an issuer is an https URL. Over http,
    // anyone on the path can replace the keys the API trusts, or read the tokens sent to it.
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname))
      warnings.push(
        `${listed ? `OIDC_ISSUERS[${index}].issuer` : 'OIDC_ISSUER'} ${shownUrl(issuer)} is not https: anyone between the API and the provider could replace its signing keys, and tokens leave it in the clear; serve the provider over TLS and set its https:// issuer (an internal http address belongs in OIDC_DISCOVERY_URL)`,
      );
  });
  // The decision point decides every list and todo check: over http, anyone on the path could
  // allow every request, or read AUTHZ_PDP_TOKEN.
  const pdp = config.pdp && new URL(config.pdp.url);
  if (pdp?.protocol === 'http:' && !isLoopbackHostname(pdp.hostname))
    warnings.push(
      `AUTHZ_PDP_URL ${shownUrl(config.pdp?.url ?? '')} is not https: anyone between the API and the decision point could answer allow to every access check, or read AUTHZ_PDP_TOKEN; serve the decision point over TLS and set its https:// URL`,
    );
  return warnings;
}
