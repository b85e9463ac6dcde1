/**
 * `@todo-sso/api`: the todo API — Fastify routes behind `@todo-sso/auth`, one Kysely schema on
 * embedded SQLite or PostgreSQL, OpenAPI 3.1 docs, revocation pushed to every instance.
 *
 * @packageDocumentation
 */

export { buildApp } from './app.js';
export { routePolicies } from './authz/catalogue.js';
export type { Permission } from './authz/permissions.js';
export { EVERYDAY_PERMISSIONS, PERMISSIONS } from './authz/permissions.js';
export { PUBLIC_ROUTES } from './authz/public-routes.js';
export type { RoutePolicy } from './authz/requirement.js';
export { requires } from './authz/requirement.js';
export type { ApiConfig, DatabaseConfig, IssuerConfig, ProviderProfile } from './config/config.js';
export { ConfigError } from './config/config.js';
export { DEFAULT_ATTRIBUTE_CLAIMS, loadConfig, withApiDefaults } from './config/load.js';
export { misspeltVariables } from './config/variable-names.js';
export { configWarnings, embeddedDatabaseRefusal } from './config/warnings.js';
export type { AppContext, Clock, ContextOverrides } from './context.js';
export { createContext } from './context.js';
export { checkDatabase } from './db/connection-failure.js';
export type { Db, DialectName } from './db/database.js';
export { openDatabase } from './db/database.js';
export type { DatabaseInspection, DatabaseProblem } from './db/inspect.js';
export { inspectDatabase } from './db/inspect.js';
export { MigrationError, migrateToLatest } from './db/migrate.js';
export type { ApiErrorCode, FieldError, ProblemDetails } from './http/problem.js';
export { ApiError } from './http/problem.js';
export { MCP_ROUTES } from './mcp/routes.js';
export { defaultDocumentConfig, generateOpenApi, serializeOpenApi } from './openapi-document.js';
export { protectedAuthOptions } from './plugins/protected-routes.js';
export type { RevocablePrincipal, RevocationStoreOptions } from './revocation/store.js';
export { RevocationStore } from './revocation/store.js';
export type { RunningApi } from './start.js';
export { PortInUseError, startApi } from './start.js';
