/**
 * Runtime configuration: where the identity provider and the API live.
 *
 * The production server answers `/config.json` so one build runs against any issuer; a
 * missing or broken file falls back to the defaults below, which Vite environment variables
 * (`VITE_OIDC_ISSUER`, `VITE_OIDC_CLIENT_ID`, `VITE_API_URL`) may override at build time.
 */
export interface RuntimeConfig {
  /** OpenID Connect issuer, e.g. `http://localhost:8080/realms/todo-app`. */
  readonly issuer: string;
  /** Public client id registered at the issuer, e.g. `todo-ui`. */
  readonly clientId: string;
  /** Base URL of the todo API, e.g. `http://localhost:8000`. */
  readonly apiUrl: string;
}

/** The DESIGN.md defaults, overridable at build time. */
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

/**
 * Validates a parsed `/config.json`, keeping each valid field and falling back per field.
 *
 * @example parseConfig({ apiUrl: 'https://api.example.com' }, defaultConfig)
 */
export function parseConfig(input: unknown, fallback: RuntimeConfig): RuntimeConfig {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const clientId = typeof raw.clientId === 'string' && raw.clientId.trim() ? raw.clientId : null;
  return Object.freeze({
    // The issuer is kept verbatim: Authentik's ends with `/` and must match `iss` exactly.
    issuer: isHttpUrl(raw.issuer) ? raw.issuer : fallback.issuer,
    clientId: clientId ?? fallback.clientId,
    apiUrl: isHttpUrl(raw.apiUrl) ? raw.apiUrl.replace(/\/+$/, '') : fallback.apiUrl,
  });
}

/** Fetches `/config.json` once at start-up; any failure means the defaults. */
export async function loadRuntimeConfig(
  fetchImpl: typeof fetch = fetch,
  fallback: RuntimeConfig = defaultConfig,
): Promise<RuntimeConfig> {
  try {
    const response = await fetchImpl('/config.json', { cache: 'no-store' });
    if (!response.ok) return fallback;
    return parseConfig(await response.json(), fallback);
  } catch {
    return fallback;
  }
}
