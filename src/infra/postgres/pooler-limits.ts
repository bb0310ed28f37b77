/**
 * A connection pooler's refusal when its pool has no room (PgBouncer's words): a session pool
 * whose server connections are all taken keeps a new client waiting until query_wait_timeout.
 * A backup holds several connections at once, so a pool sized for the application can be too
 * small for it; the pooler's own words name no fix. (A PgBouncer at max_client_conn closes the
 * connection without a word a client sees: nothing to recognise it by.)
 */

/** What to change, for a failure that is that; undefined: not it. Pure. */
export function poolerFullAdvice(message: string): string | undefined {
  if (/query_wait_timeout/i.test(message))
    return "a connection pooler (PgBouncer) kept it waiting for a free server connection (query_wait_timeout): its pool for this database is full; raise default_pool_size (or pool_size for this database; a backup takes BACKUP_JOBS + 2 connections at once, a restore one per pg_restore job and one more), or connect to PostgreSQL's own port";
  return undefined;
}

/** The same, for a failed program or query: its message, and the stderr a program left beside it (CommandError). */
export function poolerFullAdviceFor(err: unknown): string | undefined {
  const e = err as { message?: string; stderr?: string };
  return poolerFullAdvice(`${e.message ?? ''} ${e.stderr ?? ''}`);
}
