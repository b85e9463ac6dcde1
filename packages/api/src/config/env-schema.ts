import { PROFILE_NAMES } from '@todo-sso/auth';
import { type Static, Type } from 'typebox';

/** A comma-separated list: `a,b , c` → `['a', 'b', 'c']`. */
const CommaList = Type.String({
  pattern: '^\\s*[^,\\s][^,]*(,\\s*[^,\\s][^,]*)*\\s*$',
  description: 'a comma-separated list of non-empty entries',
});
const Url = Type.String({
  pattern: '^https?://[^\\s]+$',
  description: 'an http:// or https:// URL without spaces',
});
/** The auth package's provider profiles, by name. */
const Provider = Type.Union(PROFILE_NAMES.map((name) => Type.Literal(name)));
const Verify = Type.Union([Type.Literal('jwt'), Type.Literal('introspect')]);
const Dpop = Type.Union([Type.Literal('off'), Type.Literal('allowed'), Type.Literal('required')]);
const DotPath = Type.String({
  pattern: '^[^\\s.]+(\\.[^\\s.]+)*$',
  description: 'a claim path of dot-separated names without spaces, e.g. realm_access.roles',
});
const PositiveInteger = Type.String({
  pattern: '^[1-9][0-9]{0,8}$',
  description: 'a whole number from 1 to 999999999',
});

/**
 * Every environment variable the API reads, as the one schema they are validated against.
 * Values are strings (the environment has nothing else); `load.ts` turns them into typed config.
 */
export const EnvSchema = Type.Object({
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PORT: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,5}$', description: 'a port number from 0 to 65535' }),
  ),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://[^\\s]+$',
      description: 'a postgres:// or postgresql:// URL (unset for the embedded SQLite database)',
    }),
  ),
  AUTH_EXPLAIN: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  // The embedded SQLite database outside development (config/warnings.ts).
  ALLOW_SQLITE: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  NODE_ENV: Type.Optional(Type.String()),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** Set by npm: where `npm run …` was typed. A relative DATA_DIR is resolved from there. */
  INIT_CWD: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.Optional(CommaList),
  LOG_LEVEL: Type.Optional(
    Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    ),
  ),
  TRUST_PROXY: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'the number of proxies in front of the API, or their addresses/CIDRs',
    }),
  ),
  BODY_LIMIT_BYTES: Type.Optional(PositiveInteger),
  REQUEST_TIMEOUT_SECONDS: Type.Optional(PositiveInteger),
  CONNECTION_TIMEOUT_SECONDS: Type.Optional(PositiveInteger),
  RATE_LIMIT_PER_MINUTE: Type.Optional(PositiveInteger),
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: Type.Optional(PositiveInteger),
  REVOCATION_TTL_SECONDS: Type.Optional(PositiveInteger),
  AUDIT_RETENTION_DAYS: Type.Optional(PositiveInteger),
  IDP_ADMIN_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+/admin/realms/[^/\\s]+/?$',
      description: 'the admin API of the realm, https://<server>/admin/realms/<realm>',
    }),
  ),
  AUDIT_DENIALS_PER_MINUTE: Type.Optional(PositiveInteger),
  MAX_LISTS_PER_PERSON: Type.Optional(PositiveInteger),
  MAX_SHARED_LISTS_PER_PERSON: Type.Optional(PositiveInteger),
  OIDC_ISSUER: Type.Optional(Url),
  OIDC_ISSUERS: Type.Optional(
    Type.String({ minLength: 2, description: 'a JSON array of issuer objects' }),
  ),
  OIDC_AUDIENCE: Type.Optional(CommaList),
  OIDC_PROVIDER: Type.Optional(Provider),
  OIDC_VERIFY: Type.Optional(Verify),
  OIDC_DPOP: Type.Optional(Dpop),
  DPOP_NONCE_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'at least 32 characters, e.g. from openssl rand -base64 48',
    }),
  ),
  OIDC_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_DISCOVERY_URL: Type.Optional(Url),
  OIDC_ROLES_CLAIM: Type.Optional(DotPath),
  OIDC_PERMISSIONS_CLAIM: Type.Optional(DotPath),
  OIDC_ADMIN_ROLE: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_ATTRIBUTE_CLAIMS: Type.Optional(CommaList),
  OIDC_LOGOUT_AUDIENCE: Type.Optional(CommaList),
  FIRST_PARTY_CLIENTS: Type.Optional(CommaList),
  OIDC_ACR_LEVELS: Type.Optional(CommaList),
  STEP_UP_ACR: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'one of OIDC_ACR_LEVELS' }),
  ),
  STEP_UP_MAX_AGE_SECONDS: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,9}$',
      description: 'a whole number of seconds (0 to 999999999), or empty to turn it off',
    }),
  ),
  OIDC_DOCS_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  API_PUBLIC_URL: Type.Optional(Url),
  API_ACCEPTS_MCP_TOKENS: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  AUTHZ_PDP_URL: Type.Optional(Url),
  AUTHZ_PDP_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
});

export type Env = Static<typeof EnvSchema>;

/**
 * One entry of `OIDC_ISSUERS` (a JSON list): the same fields as the single-issuer variables,
 * camel-cased without the `OIDC_` prefix, and the issuer's own step-up levels (`acrLevels`,
 * `stepUpAcr`, in place of `OIDC_ACR_LEVELS` and `STEP_UP_ACR`), and `requireAtJwtTyp` (RFC 9068
 * §4 `at+jwt` access tokens only). `audience`, `attributeClaims` and `acrLevels` take a list or
 * a comma-separated string.
 */
export const IssuerEntrySchema = Type.Object(
  {
    issuer: Url,
    audience: Type.Optional(
      Type.Union([CommaList, Type.Array(Type.String({ minLength: 1 }))], {
        description: 'a list of non-empty audience names, or a comma-separated string',
      }),
    ),
    provider: Type.Optional(Provider),
    verify: Type.Optional(Verify),
    dpop: Type.Optional(Dpop),
    clientId: Type.Optional(Type.String({ minLength: 1 })),
    clientSecret: Type.Optional(Type.String({ minLength: 1 })),
    discoveryUrl: Type.Optional(Url),
    rolesClaim: Type.Optional(DotPath),
    permissionsClaim: Type.Optional(DotPath),
    adminRole: Type.Optional(Type.String({ minLength: 1 })),
    attributeClaims: Type.Optional(
      Type.Union([CommaList, Type.Array(Type.String({ minLength: 1 }))], {
        description: 'a list of non-empty claim names, or a comma-separated string',
      }),
    ),
    acrLevels: Type.Optional(
      Type.Union([CommaList, Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
        description: 'a non-empty list of level names, weakest first, or a comma-separated string',
      }),
    ),
    stepUpAcr: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "one of the entry's acrLevels (of OIDC_ACR_LEVELS when it has none)",
      }),
    ),
    requireAtJwtTyp: Type.Optional(Type.Boolean({ description: 'true or false (a JSON boolean)' })),
  },
  { additionalProperties: false },
);

export type IssuerEntry = Static<typeof IssuerEntrySchema>;

/** Names of the variables in {@link EnvSchema}, the only ones {@link loadConfig} reads. */
export const ENV_NAMES = Object.keys(EnvSchema.properties) as (keyof Env)[];
