import type { DatabaseConfig } from '@todo-sso/api';

/**
 * The API's database as the doctor found it: where (no user information), the schema against
 * this release's migrations, who may write, and what is wrong.
 */
export interface DatabaseReport {
  readonly location: string;
  readonly schema?: string;
  readonly writes?: string;
  /**
   * `database_unusable`, `database_newer`, `database_migration_denied`, `database_read_only`
   * (the API's `inspectDatabase`), or `database_embedded` (SQLite where a deployment needs
   * PostgreSQL).
   */
  readonly code?: string;
  readonly problem?: string;
}

/**
 * The database the API would start on, checked without changing it.
 *
 * @param refusal why the API refuses its embedded SQLite file in this environment, if it does.
 */
export async function databaseReport(
  database: DatabaseConfig,
  refusal: string | undefined,
): Promise<DatabaseReport> {
  if (refusal !== undefined && database.kind === 'sqlite')
    return {
      location: `SQLite ${database.file}`,
      code: 'database_embedded',
      problem: `DATABASE_URL ${refusal}`,
    };
  const { inspectDatabase } = await import('@todo-sso/api');
  const found = await inspectDatabase(database);
  return {
    location: found.location,
    ...(found.schema !== undefined && { schema: found.schema }),
    ...(found.writes !== undefined && { writes: found.writes }),
    ...(found.problem !== undefined && {
      code: found.problem.code,
      problem: found.problem.message,
    }),
  };
}

/** The report's lines at the top of the doctor's answer. */
export function databaseLines(database: DatabaseReport): string[] {
  return [
    `database  ${database.problem === undefined ? 'ok' : 'cannot be used'} (${database.location})`,
    ...(database.schema === undefined ? [] : [`  schema    ${database.schema}`]),
    ...(database.writes === undefined ? [] : [`  writes    ${database.writes}`]),
  ];
}

/** The problem as a finding, with what it does to the API; empty when there is none. */
export function databaseFinding(database: DatabaseReport): string[] {
  if (database.problem === undefined) return [];
  const effect =
    database.code === 'database_read_only'
      ? 'the API starts, and every write fails'
      : 'the API does not start';
  return [`✗ ${database.code ?? 'database_unusable'} (${effect})`, `  ${database.problem}`, ''];
}
