/**
 * `npm run api`: the API alone, configured by the environment.
 * Listens on HOST (default 0.0.0.0, reachable from containers; every route but health, metrics
 * and docs needs a token) and PORT (default 8000). SIGTERM/SIGINT drain in-flight requests.
 */
import { ConfigError } from './config/config.js';
import { loadConfig } from './config/load.js';
import { configWarnings, embeddedDatabaseRefusal } from './config/warnings.js';
import { databaseFailure, sqliteFailure } from './db/connection-failure.js';

/** Longest wait for in-flight requests before exiting anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
    const refusal = embeddedDatabaseRefusal(config, process.env);
    if (refusal !== undefined) throw new ConfigError('DATABASE_URL', refusal);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`todo-api: configuration error: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  for (const warning of configWarnings(config, process.env))
    process.stderr.write(`todo-api: warning: ${warning}\n`);
  // The server, its routes and the database drivers are loaded once the configuration is known
  // to be usable: a configuration error is written without waiting for them (about a second of
  // CPU at start-up).
  const { PortInUseError, startApi } = await import('./start.js');
  let api: Awaited<ReturnType<typeof startApi>>;
  try {
    api = await startApi(config);
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`todo-api: ${error.message}; set PORT to use another one\n`);
      process.exit(1);
    }
    // PostgreSQL refused or could not be reached: say which part of DATABASE_URL to check; the
    // SQLite file's folder could not be made or the file opened: say it is DATA_DIR's.
    const database =
      config.database.kind === 'postgres'
        ? databaseFailure(error, config.database.url)
        : sqliteFailure(error, config.database.file);
    if (database !== undefined) {
      process.stderr.write(`todo-api: failed to start: ${database}\n`);
      process.exit(1);
    }
    throw error;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`todo-api: ${signal} received, draining requests\n`);
    setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS).unref();
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`todo-api: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Announced once SIGTERM drains: a supervisor (or a test) that stops the API as soon as it
  // reads this line would otherwise meet the default action and kill it mid-request.
  process.stdout.write(`todo-api listening on ${api.url} (docs: ${api.url}/docs)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`todo-api: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
