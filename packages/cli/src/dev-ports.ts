import { CliError } from './errors.js';
import { inline } from './output/terminal.js';

/**
 * The ports `npm start` (scripts/start.mjs) gives the development identity provider and the API
 * on this machine: `IDP_PORT` and `API_PORT`, 8080 and 8000 when unset or blank. The CLI's
 * defaults follow them, so that `todo` and `todo doctor` find a stack started with moved ports.
 * They are read as start.mjs reads them (a whole number from 1 to 65535); start.mjs reads them
 * before it builds, so it cannot load this compiled file, and keeps its own copy of the rule.
 */
export const DEV_PORTS = { IDP_PORT: 8080, API_PORT: 8000 } as const;

/** A variable naming one of `npm start`'s ports. */
export type DevPortVariable = keyof typeof DEV_PORTS;

type Env = Readonly<Record<string, string | undefined>>;

/** Whether `variable` is set to something other than blanks (a blank one is unset, as for npm start). */
export function devPortSet(env: Env, variable: DevPortVariable): boolean {
  return (env[variable] ?? '').trim() !== '';
}

/** The port `npm start` uses for `variable`; a value it would refuse is a usage error here too. */
export function devPort(env: Env, variable: DevPortVariable): number {
  const value = env[variable]?.trim();
  if (value === undefined || value === '') return DEV_PORTS[variable];
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    throw new CliError(
      'usage',
      `${variable} must be a port number from 1 to 65535, got "${inline(value, 40)}"`,
    );
  return port;
}

/** The issuer of the development identity provider `npm start` runs (its Keycloak layout). */
export function devIssuer(env: Env): string {
  return `http://localhost:${devPort(env, 'IDP_PORT')}/realms/todo-app`;
}

/** The URL of the API `npm start` runs. */
export function devApiUrl(env: Env): string {
  return `http://localhost:${devPort(env, 'API_PORT')}`;
}
