import { homedir } from 'node:os';
import { join } from 'node:path';
import { devApiUrl, devIssuer } from './dev-ports.js';
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
  /** Where `issuer` came from, as a person would name it: `--issuer`, `TODO_ISSUER`, … */
  readonly issuerSetBy?: string;
  /** The issuer of the last `todo login` (`config.json`), when one is remembered. */
  readonly lastLoginIssuer?: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly scope: string;
  readonly configDir: string;
  readonly store: StoreChoice;
  readonly dpop: DpopChoice;
}

/**
 * Defaults: the dev IdP's Keycloak profile and the API on localhost (README quick start), on the
 * ports `IDP_PORT` and `API_PORT` give them when set, as for `npm start` (see dev-ports.ts).
 */
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

/**
 * Hosts plain http may go to: this machine, named so that no resolver can send the request
 * elsewhere. `hostname` is a WHATWG URL's, which writes an IPv4 address in dotted decimal
 * (`127.1`, `0x7f.0.0.1` and `2130706433` are all `127.0.0.1`) and an IPv6 address compressed in
 * brackets (`[::ffff:127.0.0.1]` is `[::ffff:7f00:1]`). This machine is `localhost` (RFC 6761
 * §6.3, which systems resolve from their hosts file), 127.0.0.0/8 (RFC 1122 §3.2.1.3), `[::1]` (RFC 4291
 * §2.5.3) and 127.0.0.0/8 mapped into IPv6 (`::ffff:127.x.y.z`, RFC 4291 §2.5.5.2), which a
 * dual-stack socket reaches over IPv4 loopback.
 */
export function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
  );
}

/**
 * `localhost.` and names under `.localhost` are reserved for loopback as well (RFC 6761 §6.3), but
 * the CLI passes them to the system's resolver, as §6.3 lets an application do, and glibc without
 * nss-myhostname (and Node's fetch through it) asks DNS for them: whoever answers on the network
 * would get tokens sent in the clear. They are not loopback here; https to them is fine.
 */
function isUnresolvedLocalhostName(hostname: string): boolean {
  return /(?:^|\.)localhost\.?$/.test(hostname) && hostname !== 'localhost';
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
  if (parsed.protocol === 'http:' && isUnresolvedLocalhostName(parsed.hostname))
    throw new CliError(
      'usage',
      `${name} must be https, or http to localhost, 127.0.0.1 or [::1]: tokens are sent to it, and this system may ask DNS for a name under .localhost (RFC 6761 §6.3 reserves it, not every resolver keeps it on this machine); got "${value}"`,
    );
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
  fallback: () => string,
): [string, string] {
  if (flag[1] !== undefined) return [flag[0], flag[1]];
  if (variable[1] !== undefined) return [variable[0], variable[1]];
  if (saved !== undefined)
    return [`The value remembered from the last login in ${join(dir, PROFILE_FILE)}`, saved];
  return ['The default', fallback()];
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
    () => devIssuer(env),
  );
  const api = pick(
    ['--api', flags.api],
    ['TODO_API_URL', env.TODO_API_URL],
    saved.apiUrl,
    dir,
    () => devApiUrl(env),
  );
  return {
    issuer: url(...issuer),
    issuerSetBy: issuer[0],
    ...(typeof saved.issuer === 'string' ? { lastLoginIssuer: saved.issuer } : {}),
    apiUrl: url(...api).replace(/\/+$/, ''),
    clientId: flags.clientId ?? env.TODO_CLIENT_ID ?? saved.clientId ?? DEFAULTS.clientId,
    scope: env.TODO_SCOPE ?? DEFAULTS.scope,
    configDir: dir,
    store,
    dpop,
  };
}
