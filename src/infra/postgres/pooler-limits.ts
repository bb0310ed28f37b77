/**
 * A connection pooler's refusals when it has no room (PgBouncer's words): a session pool whose
 * server connections are all taken keeps a new client waiting until query_wait_timeout, and a
 * pooler at max_client_conn turns it away. A backup holds several connections at once, so a
 * pool sized for the application can be too small for it; the pooler's own words name no fix.
 */

/** What to change, for a failure that is one of them; undefined: not one. Pure. */
export function poolerFullAdvice(message: string): string | undefined {
  if (/query_wait_timeout/i.test(message))
    return "a connection pooler (PgBouncer) kept it waiting for a free server connection (query_wait_timeout): its pool for this database is full; raise default_pool_size (or pool_size for this database; a backup takes BACKUP_JOBS + 2 connections at once, a restore one per pg_restore job and one more), or connect to PostgreSQL's own port";
  if (/no more connections allowed \(max_client_conn\)/i.test(message))
    return "a connection pooler (PgBouncer) has max_client_conn clients already; raise max_client_conn, or connect to PostgreSQL's own port";
  return undefined;
}
