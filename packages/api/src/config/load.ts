// Why this file is long: reading, validating and mapping the environment to one issuer shape
// is one concern; the helpers below exist only to name the variable behind a bad value.
import { join, resolve } from 'node:path';
import {
  DEFAULT_PROFILE,
  IssuerOptionError,
  type ProviderProfile,
  resolveIssuer,
  shownUrl,
} from '@todo-sso/auth';
import { Compile } from 'typebox/compile';
import { isLoopbackHostname } from '../http/loopback.js';
import {
  type ApiConfig,
  CLOCK_TOLERANCE_SECONDS,
  ConfigError,
  type IssuerConfig,
} from './config.js';
import { readCorsOrigins, readDatabaseUrl } from './connection-urls.js';
import {
  ENV_NAMES,
  type Env,
  EnvSchema,
  type IssuerEntry,
  IssuerEntrySchema,
} from './env-schema.js';
import { checkIssuerLevels, readStepUp } from './step-up.js';

import { parseTrustProxy } from './trust-proxy.js';

const envCheck = Compile(EnvSchema);
const issuerCheck = Compile(IssuerEntrySchema);

const DEFAULT_ISSUER = 'http://localhost:8080/realms/todo-app';

/**
 * Reads the API's configuration from the environment, validated by one schema.
 *
 * @throws {ConfigError} naming the first variable whose value cannot be used.
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * // 'http://localhost:8080/realms/todo-app' when OIDC_ISSUER is unset and DATABASE_URL too;
 * // with DATABASE_URL set, a missing OIDC_ISSUER is a ConfigError.
 * config.issuers[0].issuer;
 * ```
 */
export function loadConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const raw: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    // An empty variable counts as unset, as shells and Compose files commonly produce them.
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  if (!envCheck.Check(raw)) {
    const [first] = envCheck.Errors(raw);
    const variable = first?.instancePath.slice(1) || 'environment';
    throw new ConfigError(
      variable,
      explain(first, propertyOf(EnvSchema, variable), raw[variable], undefined, variable),
    );
  }
  const e = raw as Env;
  const port = Number(e.PORT ?? 8000);
  if (port > 65535) throw new ConfigError('PORT', 'must be between 0 and 65535');
  const config: ApiConfig = {
    host: e.HOST ?? '0.0.0.0',
    port,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: readDatabaseUrl(e.DATABASE_URL) }
      : // `npm run api` (cwd packages/api) and `npm start` (cwd the root) share one `.data`:
        // relative to where npm was run (INIT_CWD), else to the working directory.
        { kind: 'sqlite', file: join(resolve(e.INIT_CWD ?? '', e.DATA_DIR ?? '.data'), 'todo.db') },
    issuers: readIssuers(e),
    ...(e.DPOP_NONCE_SECRET && { dpopNonceSecret: e.DPOP_NONCE_SECRET }),
    logoutAudiences: list(e.OIDC_LOGOUT_AUDIENCE ?? 'todo-ui,todo-cli'),
    firstPartyClients: list(e.FIRST_PARTY_CLIENTS ?? 'todo-ui,todo-cli'),
    corsOrigins: readCorsOrigins(list(e.CORS_ORIGINS ?? 'http://localhost:3000')),
    docsClientId: e.OIDC_DOCS_CLIENT_ID ?? 'todo-ui',
    ...(e.API_PUBLIC_URL && { publicUrl: readPublicUrl(e.API_PUBLIC_URL) }),
    apiAcceptsMcpTokens: e.API_ACCEPTS_MCP_TOKENS !== 'false',
    ...readPdp(e),
    logLevel: e.LOG_LEVEL ?? 'info',
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    bodyLimit: Number(e.BODY_LIMIT_BYTES ?? 16 * 1024),
    requestTimeoutSeconds: Number(e.REQUEST_TIMEOUT_SECONDS ?? 30),
    connectionTimeoutSeconds: Number(e.CONNECTION_TIMEOUT_SECONDS ?? 60),
    rateLimitPerMinute: Number(e.RATE_LIMIT_PER_MINUTE ?? 600),
    // Default: ten subjects' worth per address (a NAT or proxy may carry many people).
    rateLimitPerAddressPerMinute: Number(
      e.RATE_LIMIT_PER_ADDRESS_PER_MINUTE ?? 10 * Number(e.RATE_LIMIT_PER_MINUTE ?? 600),
    ),
    revocationTtlSeconds: Number(e.REVOCATION_TTL_SECONDS ?? 3600),
    // The embedded development setup explains refusals; a deployment (PostgreSQL, or SQLite with
    // NODE_ENV=production or ALLOW_SQLITE=true) does not, unless asked: it names the issuers.
    authExplain:
      e.AUTH_EXPLAIN === undefined
        ? !e.DATABASE_URL && e.NODE_ENV !== 'production' && e.ALLOW_SQLITE !== 'true'
        : e.AUTH_EXPLAIN === 'true',
    auditRetentionDays: Number(e.AUDIT_RETENTION_DAYS ?? 90),
    ...(e.IDP_ADMIN_URL !== undefined && { idpAdminUrl: e.IDP_ADMIN_URL.replace(/\/+$/, '') }),
    auditDenialsPerMinute: Number(e.AUDIT_DENIALS_PER_MINUTE ?? 20),
    maxListsPerPerson: Number(e.MAX_LISTS_PER_PERSON ?? 500),
    maxSharedListsPerPerson: Number(e.MAX_SHARED_LISTS_PER_PERSON ?? 500),
    ...readStepUp(env, e),
  };
  checkIssuerLevels(config);
  return deepFreeze(config);
}

/**
 * `API_PUBLIC_URL`, the base of the API's resource identifiers and of its AuthZEN metadata:
 * https (RFC 9728 §1.2 resource identifiers, AuthZEN 1.0 §9.1 `policy_decision_point`), or
 * http on a loopback host (a laptop); no user information, query or fragment, which no
 * resource identifier carries (RFC 8707 §2). Trailing slashes are dropped, and the URL is kept in
 * the form clients write it (WHATWG URL serialization: RFC 3986 §6.2.2 case and §6.2.3 default
 * port): a client sends `resource` so (RFC 8707 §2), its tokens' `aud` is that string, and
 * RFC 9728 §3.3 has it compare the metadata's `resource` with it.
 */
function readPublicUrl(value: string): string {
  if (!URL.canParse(value)) throw new ConfigError('API_PUBLIC_URL', 'is not a URL');
  const url = new URL(value);
  if (url.protocol !== 'https:' && !isLoopbackHostname(url.hostname))
    throw new ConfigError(
      'API_PUBLIC_URL',
      `must use https (http only for localhost, 127.0.0.0/8 or [::1]) (got "${url.origin}")`,
    );
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ConfigError('API_PUBLIC_URL', 'must have no user information, query or fragment');
  // RFC 9728 §3.1, AuthZEN 1.0 §9.2: the discovery documents are served at the well-known path
  // followed by this path, and the router reads a `*` in a route as a wildcard: it cannot serve
  // one literally (a `:` it can: `literalRoute`). `%2A` too: the route is the path decoded as
  // the router decodes a request's (`literalRoute`), where it is a `*`.
  if (url.pathname.includes('*') || /%2a/i.test(url.pathname))
    throw new ConfigError(
      'API_PUBLIC_URL',
      `must have no * in its path, nor %2A (a * once decoded): the API serves its discovery documents at /.well-known/…${url.pathname} and cannot route a literal * (got "${url.pathname}")`,
    );
  // RFC 3986 §2.1: `%` and two hex digits; the router decodes the path as UTF-8 and answers one
  // it cannot decode 400 (`/a%ZZ`, `/a%C3`), so the documents could not be read at such a path.
  if (!decodes(url.pathname))
    throw new ConfigError(
      'API_PUBLIC_URL',
      `must have a path of well-formed percent-encoded UTF-8 (RFC 3986 §2.1): the API serves its discovery documents at /.well-known/…${url.pathname} and cannot route a path it cannot decode (got "${url.pathname}")`,
    );
  // RFC 3986 §2.2: a reserved character percent-encoded is data, another path than the
  // character itself, and the router matches it still encoded against the routes it holds
  // decoded: it cannot serve the documents at such a path (`%25`, the `%` itself, it can).
  const reserved = /%(?:2[346BCFbcf]|3[ABDFabdf]|40)/.exec(url.pathname);
  if (reserved)
    throw new ConfigError(
      'API_PUBLIC_URL',
      `must have no percent-encoded reserved character (${reserved[0]}; RFC 3986 §2.2) in its path: the API serves its discovery documents at /.well-known/…${url.pathname} and cannot route that path as written (got "${url.pathname}")`,
    );
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** Whether a URL's path is percent-encoded UTF-8 throughout (what `decodeURIComponent` reads). */
function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `AUTHZ_PDP_URL` (a URL that can be read) and its token. A token without the URL is refused:
 * the operator meant an external decision point to decide, and without it the app's own
 * relation table would, without a word (the token is never repeated).
 */
function readPdp(e: Env): Pick<ApiConfig, 'pdp'> {
  if (e.AUTHZ_PDP_URL === undefined) {
    if (e.AUTHZ_PDP_TOKEN === undefined) return {};
    throw new ConfigError(
      'AUTHZ_PDP_TOKEN',
      'is set but AUTHZ_PDP_URL is not: set AUTHZ_PDP_URL to the decision point the token is for, or unset AUTHZ_PDP_TOKEN to let the API decide access itself',
    );
  }
  if (!URL.canParse(e.AUTHZ_PDP_URL))
    throw new ConfigError('AUTHZ_PDP_URL', 'cannot be read as a URL');
  return {
    pdp: { url: e.AUTHZ_PDP_URL, ...(e.AUTHZ_PDP_TOKEN && { token: e.AUTHZ_PDP_TOKEN }) },
  };
}

function readIssuers(e: Env): IssuerConfig[] {
  if (e.OIDC_ISSUERS === undefined) {
    // The localhost issuer is the embedded development setup (SQLite, dev IdP) only: with a
    // production database, trusting a default issuer nobody chose would fail open.
    if (e.OIDC_ISSUER === undefined && e.DATABASE_URL !== undefined)
      throw new ConfigError(
        'OIDC_ISSUER',
        'is required when DATABASE_URL is set (or set OIDC_ISSUERS); the localhost default is for the embedded SQLite mode only',
      );
    return [
      toIssuer('OIDC', {
        issuer: e.OIDC_ISSUER ?? DEFAULT_ISSUER,
        audience: e.OIDC_AUDIENCE,
        provider: e.OIDC_PROVIDER,
        verify: e.OIDC_VERIFY,
        dpop: e.OIDC_DPOP,
        clientId: e.OIDC_CLIENT_ID,
        clientSecret: e.OIDC_CLIENT_SECRET,
        discoveryUrl: e.OIDC_DISCOVERY_URL,
        rolesClaim: e.OIDC_ROLES_CLAIM,
        permissionsClaim: e.OIDC_PERMISSIONS_CLAIM,
        adminRole: e.OIDC_ADMIN_ROLE,
        attributeClaims: e.OIDC_ATTRIBUTE_CLAIMS,
      }),
    ];
  }
  if (e.OIDC_ISSUER !== undefined) {
    throw new ConfigError('OIDC_ISSUERS', 'set either OIDC_ISSUER or OIDC_ISSUERS, not both');
  }
  refuseSingleIssuerVariables(e);
  let parsed: unknown;
  try {
    parsed = JSON.parse(e.OIDC_ISSUERS);
  } catch (cause) {
    throw new ConfigError('OIDC_ISSUERS', 'is not valid JSON', { cause });
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new ConfigError('OIDC_ISSUERS', 'must be a non-empty JSON array of issuer objects');
  }
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    const name = `OIDC_ISSUERS[${index}]`;
    if (!issuerCheck.Check(entry)) {
      const [first] = issuerCheck.Errors(entry);
      const field = first?.instancePath.slice(1).replaceAll('/', '.') ?? '';
      const value = (entry as Record<string, unknown> | null)?.[field];
      const known = Object.keys(IssuerEntrySchema.properties);
      const message =
        field !== '' && !known.includes(field)
          ? `is not a field of an issuer entry (known: ${known.join(', ')})`
          : explain(first, propertyOf(IssuerEntrySchema, field), value, 'invalid entry', field);
      throw new ConfigError(field ? `${name}.${field}` : name, message);
    }
    // Tokens are matched to one entry by their exact `iss`: a second entry would leave which
    // one's settings apply (dpop, verify…) to the order of the list.
    if (seen.has(entry.issuer))
      throw new ConfigError(`${name}.issuer`, 'names an issuer an earlier entry names already');
    seen.add(entry.issuer);
    return toIssuer(name, entry);
  });
}

/** The single-issuer variables, each with the `OIDC_ISSUERS` entry field that takes its place. */
const ENTRY_FIELDS = {
  OIDC_AUDIENCE: 'audience',
  OIDC_PROVIDER: 'provider',
  OIDC_VERIFY: 'verify',
  OIDC_DPOP: 'dpop',
  OIDC_CLIENT_ID: 'clientId',
  OIDC_CLIENT_SECRET: 'clientSecret',
  OIDC_DISCOVERY_URL: 'discoveryUrl',
  OIDC_ROLES_CLAIM: 'rolesClaim',
  OIDC_PERMISSIONS_CLAIM: 'permissionsClaim',
  OIDC_ADMIN_ROLE: 'adminRole',
  OIDC_ATTRIBUTE_CLAIMS: 'attributeClaims',
} as const satisfies Partial<Record<keyof Env, keyof IssuerEntry>>;

/**
 * With `OIDC_ISSUERS`, each entry carries its own settings and the single-issuer variables are
 * not read: one left set would be ignored without a word, and `OIDC_DPOP=required` or
 * `OIDC_VERIFY=introspect` would start the API accepting bearer tokens, or tokens revoked at
 * the provider, that the operator meant to refuse (fail open). So one set is refused, naming
 * the entry field to use instead (never its value: `OIDC_CLIENT_SECRET` is a secret).
 */
function refuseSingleIssuerVariables(e: Env): void {
  for (const [variable, field] of Object.entries(ENTRY_FIELDS)) {
    if (e[variable as keyof typeof ENTRY_FIELDS] === undefined) continue;
    throw new ConfigError(
      variable,
      `is not read when OIDC_ISSUERS is set (each entry has its own settings): set "${field}" in the OIDC_ISSUERS entries it is meant for, and unset ${variable}`,
    );
  }
}

/**
 * The API's defaults for an issuer that leaves them out. Audiences per profile: Keycloak adds
 * the API's own client (`todo-api`) through an audience mapper; Authentik puts the requesting
 * client's id in `aud`, so its default audiences are the clients whose tokens reach the API.
 */
const DEFAULT_AUDIENCE: Readonly<Record<ProviderProfile, string>> = {
  keycloak: 'todo-api',
  authentik: 'todo-ui,todo-cli',
  generic: 'todo-api',
};

/** Claims the API scopes by (`/reports/summary` per department) when none are configured. */
export const DEFAULT_ATTRIBUTE_CLAIMS: readonly string[] = Object.freeze(['department']);

/**
 * The issuer options the verifier gets: as configured, with the API's defaults for what the
 * auth package leaves to the application (attribute claims, the clock tolerance revocations
 * share with it).
 */
export function withApiDefaults(issuer: IssuerConfig): IssuerConfig {
  return {
    attributeClaims: DEFAULT_ATTRIBUTE_CLAIMS,
    clockToleranceSec: CLOCK_TOLERANCE_SECONDS,
    ...issuer,
  };
}

/**
 * One issuer from the environment, built directly as the auth package's issuer options and
 * validated by its resolver (the only validator of an issuer); its error names the variable.
 */
function toIssuer(name: string, entry: Partial<IssuerEntry> & { issuer: string }): IssuerConfig {
  const profile = entry.provider ?? DEFAULT_PROFILE;
  const attributeClaims =
    entry.attributeClaims === undefined ? undefined : listOf(entry.attributeClaims);
  const acrLevels =
    entry.acrLevels === undefined ? undefined : listOf(entry.acrLevels).map((l) => l.trim());
  const issuer: IssuerConfig = {
    issuer: entry.issuer,
    audience: listOf(entry.audience ?? DEFAULT_AUDIENCE[profile]),
    profile,
    verify: entry.verify ?? 'jwt',
    dpop: entry.dpop ?? 'allowed',
    ...(entry.discoveryUrl && { discoveryUrl: entry.discoveryUrl }),
    ...(entry.clientId && { clientId: entry.clientId }),
    ...(entry.clientSecret && { clientSecret: entry.clientSecret }),
    ...(entry.rolesClaim && { rolesClaim: entry.rolesClaim }),
    ...(entry.permissionsClaim && { permissionsClaim: entry.permissionsClaim }),
    ...(entry.adminRole && { adminRole: entry.adminRole }),
    ...(attributeClaims && { attributeClaims }),
    ...(acrLevels && { acrLevels }),
    ...(entry.stepUpAcr !== undefined && { stepUpAcr: entry.stepUpAcr.trim() }),
    ...(entry.requireAtJwtTyp !== undefined && { requireAtJwtTyp: entry.requireAtJwtTyp }),
  };
  try {
    resolveIssuer(withApiDefaults(issuer));
  } catch (error) {
    if (!(error instanceof IssuerOptionError)) throw error;
    throw new ConfigError(variableOf(name, error.option), inVariables(name, error.message), {
      cause: error,
    });
  }
  return issuer;
}

/**
 * The auth package names issuer options as an `OIDC_ISSUERS` entry writes them (`clientId`);
 * for the single-issuer variables the message names the variables to set (`OIDC_CLIENT_ID`).
 */
function inVariables(name: string, message: string): string {
  if (name !== 'OIDC') return message;
  return message.replace(/\b(clientId|clientSecret|discoveryUrl)\b/g, (option) =>
    variableOf(name, option),
  );
}

/** The variable behind an issuer option: `OIDC_CLIENT_ID`, or `OIDC_ISSUERS[1].clientId`. */
function variableOf(name: string, option: string): string {
  if (name !== 'OIDC') return `${name}.${option}`;
  const field = option === 'profile' ? 'provider' : option;
  return `OIDC_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function listOf(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? list(value) : [...value];
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The schema of `name` in an object schema, if it has one. */
function propertyOf(schema: unknown, name: string): unknown {
  return (schema as { properties?: Record<string, unknown> }).properties?.[name];
}

/** Variables and issuer fields whose value may hold a secret: a message never repeats it. */
const SECRET = /SECRET|TOKEN|DATABASE_URL|OIDC_ISSUERS|clientSecret/i;

/**
 * A schema error in words: a value outside a fixed set names the allowed values
 * (`must be one of jwt, introspect`), a value of the wrong form says what the form is (the
 * schema's `description`, never its pattern), with the value unless it may be a secret.
 */
function explain(
  error: { message: string } | undefined,
  schema: unknown,
  value: unknown,
  fallback = 'rejected',
  name = '',
): string {
  const options = (schema as { anyOf?: Array<{ const?: unknown }> } | undefined)?.anyOf;
  const allowed = options?.map((option) => option.const);
  if (allowed?.length && allowed.every((v) => typeof v === 'string')) {
    return `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`;
  }
  const description = (schema as { description?: unknown } | undefined)?.description;
  if (typeof description === 'string') {
    // A URL's user information may be a password: a value with an `@` is not shown either,
    // and a query or fragment (an API key, a token) is cut off.
    const shown =
      typeof value === 'string' &&
      !SECRET.test(name) &&
      !value.includes('@') &&
      value.length <= 200;
    return `must be ${description}${shown ? ` (got ${JSON.stringify(shownUrl(value))})` : ''}`;
  }
  if ((schema as { minLength?: unknown } | undefined)?.minLength === 1 && value === '')
    return 'must not be empty';
  return `invalid value (${error?.message ?? fallback})`;
}
