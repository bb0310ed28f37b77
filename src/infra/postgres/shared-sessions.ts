/**
 * Connection poolers in transaction or statement mode (PgBouncer, PgCat, Odyssey) give each
 * transaction of a client whichever server session is free. pg_dump and pg_restore make their
 * session settings (search_path '', row_security off, timeouts 0) before their transaction, so
 * through such a pool those may not reach it; and they stay on a server session the
 * application is given next, as pgwarden's own timeouts would. Seen from a client: one
 * client's statements run in different server processes, or two clients' in the same one.
 * A pool in session mode, a TCP proxy or a direct connection shows neither.
 */
import { Client } from 'pg';

/**
 * Whether two client connections' server processes, each listed statement by statement, show
 * a pool sharing sessions. Pure.
 */
export function sessionsShared(first: number[], second: number[]): boolean {
  const steady = (pids: number[]) => pids.every((p) => p === pids[0]);
  return !steady(first) || !steady(second) || first.some((p) => second.includes(p));
}

/**
 * Asks `client` and a second connection from `open` for their server process in turns, single
 * statements outside any transaction, so a pool with one server session cannot deadlock them.
 * Undefined when the second connection cannot be had (a connection limit): nothing is known.
 */
export async function probeSharedSessions(client: Client, open: () => Promise<Client>): Promise<boolean | undefined> {
  let other: Client;
  try {
    other = await open();
  } catch {
    return undefined;
  }
  const pid = async (c: Client) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  // A session pool with no server connection free keeps the second one waiting (a transaction
  // pool never does: the first holds none between statements), so a wait means no sharing is seen.
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PROBE_WAIT_MS)));
  const rounds = async () => {
    const first: number[] = [];
    const second: number[] = [];
    for (let round = 0; round < 3; round++) {
      first.push(await pid(client));
      second.push(await pid(other));
    }
    return sessionsShared(first, second);
  };
  try {
    return await Promise.race([rounds().catch(() => undefined), waited]);
  } finally {
    clearTimeout(timer);
    await other.end().catch(() => undefined);
  }
}

/** How long the second connection may wait for a server session before the probe gives up. */
const PROBE_WAIT_MS = 3000;

/** The refusal, for a target described as `database "x" at host:port as user`. */
export function sharedSessionsProblem(where: string): string {
  return (
    `cannot use ${where}: it is reached through a connection pooler that gives each transaction whichever server session is free ` +
    `(PgBouncer pool_mode=transaction or statement); pg_dump and pg_restore need a session of their own, and the settings ` +
    `they make for it would stay on sessions the application is given next; point DATABASE_URL (or PGHOST/PGPORT) at ` +
    `PostgreSQL's own port, or at a pooler database with pool_mode=session`
  );
}
