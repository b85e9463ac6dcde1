import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { readPrivateFile } from './store/private-file.js';

/** Where tokens are kept: the OS keyring when it works (`auto`), or forced. */
export type StoreChoice = 'auto' | 'keyring' | 'file';

/**
 * Whether a sign-in binds its tokens to a DPoP key (RFC 9449), when the provider speaks DPoP with
 * ES256: `auto` when the API requires bound tokens (its metadata's
 * `dpop_bound_access_tokens_required`, RFC 9728 §2), so that `todo token` stays a bearer token
 * scripts can send wherever the API accepts one; `on` always; `off` never.
 */
export type DpopChoice = 'auto' | 'on' | 'off';

/** The CLI's settings, resolved once per run: flag, then environment, then last login. */
export interface Settings {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly scope: string;
  readonly configDir: string;
  readonly store: StoreChoice;
  readonly dpop: DpopChoice;
}

/** Defaults: the dev IdP's Keycloak profile and the API on localhost (README quick start). */
export const DEFAULTS = {
  issuer: 'http://localhost:8080/realms/todo-app',
  apiUrl: 'http://localhost:8000',
  clientId: 'todo-cli',
  scope: 'openid profile email',
} as const;

/** Non-secret choices remembered from the last `todo login` (`config.json`, no tokens). */
interface Profile {
  issuer?: string;
  apiUrl?: string;
  clientId?: string;
}

/** The settings directory: TODO_CONFIG_DIR, else the platform's per-user config folder. */
export function configDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.TODO_CONFIG_DIR) return env.TODO_CONFIG_DIR;
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'todo-sso');
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'todo-sso');
}

/** The file of the last login's choices in the settings directory. */
export const PROFILE_FILE = 'config.json';

/**
 * The last login's choices. It decides where tokens are sent, so a `config.json` that is a link,
 * another user's or writable by others is refused (see `readPrivateFile`), not followed.
 */
function readProfile(dir: string): Profile {
  const text = readPrivateFile(dir, PROFILE_FILE);
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Profile) : {};
  } catch {
    return {};
  }
}

/** Hosts that never leave this machine: `localhost` (RFC 6761 §6.3) and loopback addresses. */
export function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/** Whether secrets may be sent to `value`: https, or http to this machine only. */
export function isTokenSafeUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s]+$/.test(value) || !URL.canParse(value))
    return false;
  const parsed = new URL(value);
  return parsed.protocol === 'https:' || isLoopback(parsed.hostname);
}

/**
 * An http(s) URL tokens may be sent to: https, or http on this machine only (RFC 6750 §5.3 and
 * RFC 9700 §2.6: bearer tokens travel over TLS).
 */
function url(name: string, value: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(value) || !URL.canParse(value))
    throw new CliError('usage', `${name} must be an http(s) URL, got "${value}"`);
  const parsed = new URL(value);
  if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname))
    throw new CliError(
      'usage',
      `${name} must be https: tokens are sent to it, and http is for this machine only (localhost, 127.0.0.1, [::1]); got "${value}"`,
    );
  return value;
}

/**
 * The first of flag, environment variable, last login and default that is set, with the name
 * of where it came from: an error about the value names what the user actually set.
 */
function pick(
  flag: [string, string | undefined],
  variable: [string, string | undefined],
  saved: string | undefined,
  dir: string,
  fallback: string,
): [string, string] {
  if (flag[1] !== undefined) return [flag[0], flag[1]];
  if (variable[1] !== undefined) return [variable[0], variable[1]];
  if (saved !== undefined)
    return [`The value remembered from the last login in ${join(dir, PROFILE_FILE)}`, saved];
  return ['The default', fallback];
}

/** Resolves the settings from flags and the environment, falling back on the last login. */
export function resolveSettings(
  flags: { issuer?: string; api?: string; clientId?: string },
  env: Readonly<Record<string, string | undefined>>,
): Settings {
  const dir = configDir(env);
  const saved = readProfile(dir);
  const store = (env.TODO_TOKEN_STORE ?? 'auto') as StoreChoice;
  if (!['auto', 'keyring', 'file'].includes(store))
    throw new CliError('usage', 'TODO_TOKEN_STORE must be auto, keyring or file');
  const dpop = (env.TODO_DPOP ?? 'auto') as DpopChoice;
  if (!['auto', 'on', 'off'].includes(dpop))
    throw new CliError('usage', 'TODO_DPOP must be auto, on or off');
  const issuer = pick(
    ['--issuer', flags.issuer],
    ['TODO_ISSUER', env.TODO_ISSUER],
    saved.issuer,
    dir,
    DEFAULTS.issuer,
  );
  const api = pick(
    ['--api', flags.api],
    ['TODO_API_URL', env.TODO_API_URL],
    saved.apiUrl,
    dir,
    DEFAULTS.apiUrl,
  );
  return {
    issuer: url(...issuer),
    apiUrl: url(...api).replace(/\/+$/, ''),
    clientId: flags.clientId ?? env.TODO_CLIENT_ID ?? saved.clientId ?? DEFAULTS.clientId,
    scope: env.TODO_SCOPE ?? DEFAULTS.scope,
    configDir: dir,
    store,
    dpop,
  };
}
