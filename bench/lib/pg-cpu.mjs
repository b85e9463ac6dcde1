// CPU time of PostgreSQL's backends on the bench's database, so that the PostgreSQL figures can
// say what a request costs the database beside what it costs the API (both share the machine's
// cores: PostgreSQL is not pinned), and what a pgbench transaction costs it.
import pg from 'pg';
import { cpuNs } from './proc.mjs';

/** A connection to `databaseUrl` that reads its backends' CPU time (schedstat, as `cpuNs`). */
export async function backendsCpu(databaseUrl) {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  /** CPU ns of each backend on the database but this one, by pid; `pgbench`: only pgbench's. */
  const snapshot = async ({ pgbench = false } = {}) => {
    const { rows } = await admin.query(
      `select pid from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and (application_name = 'pgbench') = $1`,
      [pgbench],
    );
    return new Map(rows.map(({ pid }) => [pid, cpuNs(pid)]));
  };
  /** CPU ns the backends of `before` (still there in `after`) used between the two. */
  const spent = (before, after) => {
    let ns = 0;
    for (const [pid, was] of before) {
      const now = after.get(pid);
      if (Number.isFinite(now) && Number.isFinite(was)) ns += now - was;
    }
    return ns;
  };
  return { snapshot, spent, close: () => admin.end() };
}
