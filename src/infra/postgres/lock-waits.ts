/**
 * Which session a dump waits for. pg_dump locks every table before it writes a byte, and waits
 * as long as another transaction holds a conflicting lock (a migration's ALTER TABLE, a session
 * left idle in a transaction): the backup then shows 0 bytes for as long, with no reason. The
 * dump's sessions carry an application_name of their own, so their waits can be read from
 * pg_locks and named in the progress a person reads. No query text is read: another session's
 * statement may hold a password.
 */
import type { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';
import { connectDatabase } from './client';

export interface LockWait {
  /** The table waited for; undefined for other locks (a transaction's, say). */
  relation?: string;
  holder: {
    pid: number;
    user?: string;
    application?: string;
    /** pg_stat_activity.state: 'active', 'idle in transaction', ... */
    state?: string;
    /** How long the holder's transaction has been open. */
    transactionSeconds?: number;
  };
}

/**
 * The lock waits of the sessions named `applicationName` on the database `c` is connected to,
 * longest-held first, one per table and holder. Columns another user's session hides from this
 * one (without pg_read_all_stats) are left out.
 */
export async function readLockWaits(c: Client, applicationName: string): Promise<LockWait[]> {
  const { rows } = await c.query<{
    relation: string | null;
    pid: number;
    usename: string | null;
    application: string | null;
    state: string | null;
    seconds: number | null;
  }>(
    `SELECT DISTINCT (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.oid = l.relation) AS relation, b.pid, b.usename, b.application_name AS application, b.state,
            extract(epoch FROM now() - b.xact_start)::int AS seconds
       FROM pg_stat_activity w
       JOIN pg_locks l ON l.pid = w.pid AND NOT l.granted
       CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS h(pid)
       JOIN pg_stat_activity b ON b.pid = h.pid
      WHERE w.application_name = $1
      ORDER BY seconds DESC NULLS LAST, b.pid`,
    [applicationName],
  );
  return rows.map((r) => ({
    ...(r.relation ? { relation: r.relation } : {}),
    holder: {
      pid: r.pid,
      ...(r.usename ? { user: r.usename } : {}),
      ...(r.application ? { application: r.application } : {}),
      ...(r.state ? { state: r.state } : {}),
      ...(r.seconds !== null ? { transactionSeconds: r.seconds } : {}),
    },
  }));
}

const duration = (s: number) => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/** One line naming what the dump waits for (the longest-held lock first), or undefined: it waits for nothing. Pure. */
export function describeLockWaits(waits: LockWait[]): string | undefined {
  if (waits.length === 0) return undefined;
  const [w] = waits;
  const h = w.holder;
  const about = [
    h.user && `user ${h.user}`,
    h.application,
    h.state,
    h.transactionSeconds !== undefined && `transaction open ${duration(h.transactionSeconds)}`,
  ].filter(Boolean);
  const more = waits.length > 1 ? `, and ${waits.length - 1} more` : '';
  return `waiting for a lock on ${w.relation ?? 'a transaction'} held by pid ${h.pid}${about.length ? ` (${about.join(', ')})` : ''}${more}: the dump goes on when that transaction ends`;
}

/** describeLockWaits of the sessions named `applicationName`, read on a connection of its own. */
export async function lockWaitsOf(target: DatabaseTarget, applicationName: string): Promise<string | undefined> {
  const c = await connectDatabase(target, { connectTimeoutMs: 5_000 });
  try {
    return describeLockWaits(await readLockWaits(c, applicationName));
  } finally {
    await c.end().catch(() => undefined);
  }
}
