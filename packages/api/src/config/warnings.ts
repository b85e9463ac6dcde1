import { PROFILE_NAMES, PROFILES, shownUrl } from '@todo-sso/auth';
import { isLoopbackHostname } from '../http/loopback.js';
import type { ApiConfig } from './config.js';
import { misspeltVariables } from './variable-names.js';

/**
 * Settings that start the API but that a production deployment should not run with, one
 * sentence each, printed once at start-up by `server.ts` (and by `todo doctor`).
 *
 * @param env the environment the configuration was read from, to name the variable behind an
 *   issuer (`OIDC_ISSUER`, or `OIDC_ISSUERS[i].issuer`).
 * @returns the warnings; empty for the embedded development setup (SQLite, neither
 *   NODE_ENV=production nor ALLOW_SQLITE=true) and a complete one. A variable that looks like a
 *   misspelt one of the API's, and an issuer with another provider's layout than its profile,
 *   are warned about in every setup. A deployment on SQLite gets
 *   the same issuer and public-URL warnings as one on PostgreSQL: the database kind decides only
 *   the warning about the database.
 */
export function configWarnings(
  config: ApiConfig,
  env: Readonly<Record<string, string | undefined>> = {},
): string[] {
  // With OIDC_ISSUERS the single-issuer variables are a configuration error (config/load.ts):
  // each warning names the entry's field instead, so following its advice starts the API.
  const listed = (env.OIDC_ISSUERS ?? '').trim() !== '' || config.issuers.length > 1;
  const setting = (index: number, field: string, variable: string) =>
    listed ? `OIDC_ISSUERS[${index}].${field}` : variable;
  // A misspelt variable is read as unset, and an issuer of another provider's layout has its
  // tokens refused, on any database: say so wherever the API runs.
  const warnings = [...misspeltVariables(env), ...providerLayoutWarnings(config, setting)];
  if (config.database.kind !== 'postgres') {
    const production = env.NODE_ENV?.trim() === 'production';
    if (!production && !sqliteAllowed(env)) return warnings;
    if (!sqliteAllowed(env))
      warnings.push(
        `NODE_ENV is production but DATABASE_URL is not set: the API keeps todos, shares and revocations in the embedded SQLite file ${config.database.file}, which only this instance sees (and which a container loses unless DATA_DIR is a volume); set DATABASE_URL to the PostgreSQL database, or ALLOW_SQLITE=true if one instance on that file is meant`,
      );
  }
  // RFC 9449 §4.3 step 9 and §11.1: without API_PUBLIC_URL a DPoP proof's `htu` is checked
  // against the origin the request names (Host, or X-Forwarded-Host from a trusted proxy), which
  // whoever relays the request writes: a proof made for another server counts here too.
  const dpop = config.issuers.some((i) => i.dpop !== 'off')
    ? ", and DPoP proofs' htu (RFC 9449 §4.3) is checked against the Host or X-Forwarded-Host the request names, so a server a client was led to can replay that client's proofs and DPoP-bound tokens here (§11.1)"
    : '';
  if (config.publicUrl === undefined)
    warnings.push(
      `API_PUBLIC_URL is not set: the API knows its resource identifiers (RFC 8707, RFC 9728) only for requests to a loopback address on its own port, so elsewhere /mcp and the protected resource metadata answer 503 and the REST routes accept ${listed ? "each issuer's audience" : 'OIDC_AUDIENCE'} alone${dpop}; set API_PUBLIC_URL to the API's public base URL`,
    );
  // The issuer whose Keycloak Admin REST API the API calls (admin-idp/connection.ts).
  const adminIndex = config.issuers.findIndex((i) => PROFILES[i.profile].keycloakAdminApi);
  const admin = config.issuers[adminIndex];
  if (admin !== undefined && (admin.clientId === undefined || admin.clientSecret === undefined))
    warnings.push(
      `${setting(adminIndex, 'clientId', 'OIDC_CLIENT_ID')} and ${setting(adminIndex, 'clientSecret', 'OIDC_CLIENT_SECRET')} are not both set: without the API's own client the Admin screen's people management (/admin/idp/*) answers 501, and revoking a person (POST /admin/sessions/revoke) or an agent (DELETE /me/agents/{clientId}) cannot end their sessions or grant at the provider, so their refresh tokens keep working; set both to the API's confidential client (its service account needs realm-management view-users, manage-users, query-groups and view-clients)`,
    );
  // Keycloak (the provider with Keycloak's admin API) writes "account" into the aud of every
  // token of the realm, through its default `roles` scope. An audience listing it accepts tokens
  // issued to any client of the realm, for any service: the audience must name this API
  // (RFC 9068 §4, RFC 8725 §3.9).
  config.issuers.forEach(({ profile, audience }, index) => {
    if (PROFILES[profile].keycloakAdminApi && audience.includes('account'))
      warnings.push(
        `${setting(index, 'audience', 'OIDC_AUDIENCE')} lists "account", which Keycloak writes into the aud of every token of the realm (its default roles scope): the API would accept tokens issued to any client of the realm, for any service; remove it, list the API's own audience (todo-api), and give each client that calls the API an audience mapper for it`,
      );
  });
  config.issuers.forEach(({ issuer }, index) => {
    const url = new URL(issuer);
    // OpenID Connect Discovery 1.0 §3 and RFC 8414 §2: an issuer is an https URL. Over http,
    // anyone on the path can replace the keys the API trusts, or read the tokens sent to it.
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname))
      warnings.push(
        `${setting(index, 'issuer', 'OIDC_ISSUER')} ${shownUrl(issuer)} is not https: anyone between the API and the provider could replace its signing keys, and tokens leave it in the clear; serve the provider over TLS and set its https:// issuer (an internal http address belongs in ${setting(index, 'discoveryUrl', 'OIDC_DISCOVERY_URL')})`,
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

/**
 * An issuer whose path is another provider's layout (`/application/o/<slug>/` with the Keycloak
 * profile, `OIDC_PROVIDER`'s default; `/realms/<realm>` with the Authentik one): the API would
 * read its tokens' audience, roles and permissions where that other provider does not write them,
 * and refuse every token with a reason that points elsewhere (`audience_mismatch`).
 */
function providerLayoutWarnings(
  config: ApiConfig,
  setting: (index: number, field: string, variable: string) => string,
): string[] {
  const warnings: string[] = [];
  config.issuers.forEach(({ issuer, profile }, index) => {
    const path = new URL(issuer).pathname;
    // The generic profile claims no layout: whoever chose it chose it for any provider.
    const own = PROFILES[profile].issuerPath;
    if (own === undefined || own.test(path)) return;
    const other = PROFILE_NAMES.find((name) => PROFILES[name].issuerPath?.test(path));
    if (other === undefined) return;
    const variable = setting(index, 'provider', 'OIDC_PROVIDER');
    warnings.push(
      `${setting(index, 'issuer', 'OIDC_ISSUER')} ${shownUrl(issuer)} has ${PROFILES[other].title}'s layout, but ${variable} is ${profile}: the API reads the tokens' audience, roles and permissions where ${PROFILES[profile].title} writes them, so it would refuse ${PROFILES[other].title}'s tokens; set ${variable}=${other}`,
    );
  });
  return warnings;
}

/** `ALLOW_SQLITE=true`: the embedded SQLite file is meant, outside development too. */
function sqliteAllowed(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.ALLOW_SQLITE?.trim() === 'true';
}

/**
 * Why the API must not start on its embedded SQLite file: `DATABASE_URL` is unset while an
 * issuer is not on this machine. The embedded file is the development setup (the dev IdP on
 * localhost, one process); a provider elsewhere means a deployment, where the file would live
 * inside a container (every todo lost on the next deploy) and each replica would have its own
 * data and its own revocations (a person signed out through one stays signed in through another,
 * since revocations reach other instances through PostgreSQL only). Fail closed: refuse, unless
 * `ALLOW_SQLITE=true` says the file is meant.
 *
 * @param env the environment the configuration was read from (`ALLOW_SQLITE`, `OIDC_ISSUERS`).
 * @returns the reason, one sentence after `DATABASE_URL: `; undefined when the API may start.
 */
export function embeddedDatabaseRefusal(
  config: ApiConfig,
  env: Readonly<Record<string, string | undefined>> = {},
): string | undefined {
  if (config.database.kind !== 'sqlite' || sqliteAllowed(env)) return undefined;
  const remote = config.issuers.find(({ issuer }) => !onThisMachine(new URL(issuer).hostname));
  if (remote === undefined) return undefined;
  return `is not set but the issuer ${shownUrl(remote.issuer)} is not on this machine: the API would keep todos, shares and revocations in the embedded SQLite file ${config.database.file}, seen by this instance only and lost with its container; set DATABASE_URL to the PostgreSQL database (postgres://user:password@host:5432/database), or ALLOW_SQLITE=true to run one instance on that file on purpose`;
}

/**
 * Whether an issuer's host is this machine, for the embedded database only: a loopback name or
 * address, or a name under `.localhost` (RFC 6761 §6.3: reserved for loopback; a local TLS
 * proxy's `https://sso.localhost`). Not used to allow plain http: a resolver may still send such
 * a name elsewhere, which here costs a start on SQLite at most, never a token in the clear.
 */
function onThisMachine(hostname: string): boolean {
  return isLoopbackHostname(hostname) || /(?:^|\.)localhost\.?$/.test(hostname.toLowerCase());
}
