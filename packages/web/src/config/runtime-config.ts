/**
 * Runtime configuration: where the identity provider and the API live.
 *
 * The production server answers `/config.json` so one build runs against any issuer; where
 * there is no such file (404: the Vite dev server, a plain static host) the defaults below
 * apply, which Vite environment variables (`VITE_OIDC_ISSUER`, `VITE_OIDC_CLIENT_ID`,
 * `VITE_API_URL`) may override at build time. A file that exists but cannot be read or used is
 * an error, never a silent fallback: the defaults would send people to sign in somewhere else.
 */
export interface RuntimeConfig {
  /** OpenID Connect issuer, e.g. `http://localhost:8080/realms/todo-app`. */
  readonly issuer: string;
  /** Public client id registered at the issuer, e.g. `todo-ui`. */
  readonly clientId: string;
  /** Base URL of the todo API, e.g. `http://localhost:8000`. */
  readonly apiUrl: string;
}

/** The development defaults, overridable at build time. */
export const defaultConfig: RuntimeConfig = Object.freeze({
  issuer: import.meta.env.VITE_OIDC_ISSUER ?? 'http://localhost:8080/realms/todo-app',
  clientId: import.meta.env.VITE_OIDC_CLIENT_ID ?? 'todo-ui',
  apiUrl: import.meta.env.VITE_API_URL ?? 'http://localhost:8000',
});

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `/config.json` exists but cannot be used; the app does not start on guessed settings. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates a parsed `/config.json`. A field that is absent takes the fallback; a field that is
 * present but unusable is a {@link ConfigError} naming it.
 *
 * @example parseConfig({ apiUrl: 'https://api.example.com' }, defaultConfig)
 */
export function parseConfig(input: unknown, fallback: RuntimeConfig): RuntimeConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('/config.json is not a JSON object');
  }
  const raw = input as Record<string, unknown>;
  const field = <T>(name: keyof RuntimeConfig, valid: (v: unknown) => v is T): T | undefined => {
    if (!Object.hasOwn(raw, name)) return undefined;
    if (!valid(raw[name])) throw new ConfigError(`/config.json: "${name}" is not usable`);
    return raw[name];
  };
  const clientId = field('clientId', (v): v is string => typeof v === 'string' && v.trim() !== '');
  const issuer = field('issuer', isHttpUrl);
  const apiUrl = field('apiUrl', isHttpUrl);
  return Object.freeze({
    // The issuer is kept verbatim: Authentik's ends with `/` and must match `iss` exactly.
    issuer: issuer ?? fallback.issuer,
    clientId: clientId ?? fallback.clientId,
    apiUrl: apiUrl?.replace(/\/+$/, '') ?? fallback.apiUrl,
  });
}

/**
 * Fetches `/config.json` once at start-up. No file (404) means the defaults; an unreachable
 * server, another error status or an unusable file is a {@link ConfigError}.
 */
export async function loadRuntimeConfig(
  fetchImpl: typeof fetch = fetch,
  fallback: RuntimeConfig = defaultConfig,
): Promise<RuntimeConfig> {
  let response: Response;
  try {
    // Asking for JSON only: the Vite dev server then answers 404 instead of its index.html.
    response = await fetchImpl('/config.json', {
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
  } catch {
    throw new ConfigError('the server did not answer for /config.json');
  }
  if (response.status === 404) return fallback;
  if (!response.ok) throw new ConfigError(`/config.json answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigError('/config.json is not valid JSON');
  }
  return parseConfig(body, fallback);
}
