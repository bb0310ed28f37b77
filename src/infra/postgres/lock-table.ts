/**
 * A server's lock table is shared by all its sessions and sized when it starts: about
 * max_locks_per_transaction × its sessions. pg_dump holds a lock on every table it dumps until
 * it ends, so a database of thousands of tables or partitions can fill it, and the dump fails
 * with "out of shared memory". Preflight warns while there is time to raise the setting, and
 * a run that fails on it says which setting to raise.
 */
import type { Client } from 'pg';
import { USER_SCHEMA } from './tables';

export interface LockTable {
  /** max_locks_per_transaction. */
  locksPerTransaction: number;
  /** The sessions the lock table is sized for: connections, background workers, WAL senders, prepared transactions. */
  sessions: number;
  /** Ordinary and partitioned tables outside the system schemas: what pg_dump locks, one each. */
  tables: number;
}

/** The lock table of the server `c` is connected to, and the tables of its database. */
export async function readLockTable(c: Client): Promise<LockTable> {
  const { rows } = await c.query<{ l: number; s: number; t: string }>(`
    SELECT current_setting('max_locks_per_transaction')::int AS l,
           current_setting('max_connections')::int + current_setting('autovacuum_max_workers')::int + 1
             + current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int
             + current_setting('max_prepared_transactions')::int AS s,
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA}) AS t`);
  return { locksPerTransaction: rows[0].l, sessions: rows[0].s, tables: Number(rows[0].t) };
}

/** The smallest max_locks_per_transaction, a multiple of 64, whose lock table holds twice the database's tables. Pure. */
export function suggestedLocksPerTransaction(lt: LockTable): number {
  return Math.max(64, Math.ceil((2 * lt.tables) / lt.sessions / 64) * 64);
}

/**
 * The warning that a dump of `database` takes more than half of the server's lock table, where
 * other sessions' locks can fill the rest; undefined below that. Pure.
 */
export function lockTableWarning(database: string, lt: LockTable): string | undefined {
  const capacity = lt.locksPerTransaction * lt.sessions;
  if (lt.tables <= capacity / 2) return undefined;
  return `${database} has ${lt.tables} tables and partitions, and pg_dump holds a lock on each until it ends; the server's lock table holds about ${capacity} locks (max_locks_per_transaction ${lt.locksPerTransaction} × ${lt.sessions} sessions) for every session together, so a backup may fail with "out of shared memory": raise max_locks_per_transaction to ${suggestedLocksPerTransaction(lt)} on the server (it takes a restart)`;
}

/** Whether an error says the server's lock table is full (not the predicate locks of serializable transactions). Pure. */
export function isLockTableFull(text: string): boolean {
  return /out of shared memory/i.test(text) && !/max_pred_locks/i.test(text);
}

/** What was said when the lock table was full, and what to change. Pure. */
export function lockTableProblem(said: string): string {
  return `${said}; the server's lock table is full (pg_dump holds a lock on every table it dumps until it ends, beside every other session's locks; pgwarden check counts the tables): raise max_locks_per_transaction on the server (it takes a restart)`;
}
