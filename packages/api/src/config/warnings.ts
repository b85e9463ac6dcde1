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
      "API_PUBLIC_URL is not set: the API's resource identifier and the URL audience it accepts (RFC 8707) come from each request's Host header, so a token issued for another resource server of the same provider is accepted when sent with that server's host name; set API_PUBLIC_URL to the API's public base URL",
    );
  return warnings;
}
