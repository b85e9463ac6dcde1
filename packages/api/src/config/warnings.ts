import type { ApiConfig } from './config.js';

/**
 * Settings that start the API but that a production deployment should not run with, one
 * sentence each, printed once at start-up by `server.ts`.
 *
 * @returns the warnings; empty for the embedded development setup (SQLite) and a complete one.
 */
export function configWarnings(config: ApiConfig): string[] {
  if (config.database.kind !== 'postgres') return [];
  const warnings: string[] = [];
  if (config.publicUrl === undefined)
    warnings.push(
      "API_PUBLIC_URL is not set: the API knows its resource identifiers (RFC 8707, RFC 9728) only for requests to a loopback address on its own port, so elsewhere /mcp and the protected resource metadata answer 503 and the REST routes accept OIDC_AUDIENCE alone; set API_PUBLIC_URL to the API's public base URL",
    );
  return warnings;
}
