/**
 * Whether the server, as this user, takes the writes of a restore, a verification's test restore
 * or a table recovery: not on a standby, and not where every transaction starts read-only
 * (default_transaction_read_only = on, the usual "read-only backup user", or a primary fenced
 * during a failover). The read-only default is the DBA's choice, so it is named with where it
 * was set, never turned off behind their back.
 */
import type { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';
import { standbyProblem } from './standby';

export interface ReadOnlyDefault {
  user: string;
  database: string;
  /** pg_settings.source of default_transaction_read_only: 'user', 'database', 'database user', 'configuration file', ... */
  source: string;
}

/** How to undo the read-only default where it was set. Pure. */
export function readOnlyDefaultUndo(r: ReadOnlyDefault): string {
  const role = `"${r.user.replace(/"/g, '""')}"`;
  const database = `"${r.database.replace(/"/g, '""')}"`;
  switch (r.source) {
    case 'user':
      return `set for the user: ALTER ROLE ${role} RESET default_transaction_read_only;`;
    case 'database':
      return `set for the database: ALTER DATABASE ${database} RESET default_transaction_read_only;`;
    case 'database user':
      return `set for the user in this database: ALTER ROLE ${role} IN DATABASE ${database} RESET default_transaction_read_only;`;
    case 'configuration file':
      return "set in the server's configuration: remove it from postgresql.conf (or ALTER SYSTEM RESET default_transaction_read_only;) and SELECT pg_reload_conf();";
    default:
      return `set by the ${r.source}: turn it off there`;
  }
}

/** The one line refusing work that writes where transactions start read-only. Pure. */
export function readOnlyDefaultRefusal(server: string, r: ReadOnlyDefault, what: string, elsewhere: string): string {
  return `the user "${r.user}" starts every transaction read-only at ${server} (default_transaction_read_only = on, ${readOnlyDefaultUndo(r)}), and ${what}: undo that, or ${elsewhere}`;
}

/**
 * The refusal of work that writes to the server `c` is connected to: a standby (`fixes.standby`),
 * or a read-only default for this session (`fixes.readOnly`: the other way out than undoing it);
 * undefined: it takes writes.
 */
export async function writesProblem(
  c: Client,
  server: Pick<DatabaseTarget, 'host' | 'port'>,
  what: string,
  fixes: { standby: string; readOnly: string },
): Promise<string | undefined> {
  const standby = await standbyProblem(c, server, what, fixes.standby);
  if (standby) return standby;
  const { rows } = await c.query<{ on: boolean; user: string; database: string; source: string }>(
    `SELECT setting = 'on' AS on, current_user AS user, current_database() AS database, source
       FROM pg_settings WHERE name = 'default_transaction_read_only'`,
  );
  const r = rows[0];
  return r?.on ? readOnlyDefaultRefusal(`${server.host}:${server.port}`, r, what, fixes.readOnly) : undefined;
}
