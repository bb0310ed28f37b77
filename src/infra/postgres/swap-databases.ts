/**
 * An in-place restore's swap: the live database moves aside and the restored one takes its
 * name, in one transaction (ALTER DATABASE ... RENAME is transactional). A rename refused or a
 * worker dying between the two never leaves the server without a database of that name.
 */
import { Client } from 'pg';

export interface Swap {
  /** The name the restored database takes (the live database's). */
  live: string;
  /** The restored database, loaded beside the live one. */
  restored: string;
  /** Where the live database goes; null when there is none (a server that lost it). */
  keptAs: string | null;
}

export async function swapDatabases(admin: Client, swap: Swap): Promise<void> {
  const id = (name: string) => admin.escapeIdentifier(name);
  await admin.query('BEGIN');
  try {
    if (swap.keptAs) await admin.query(`ALTER DATABASE ${id(swap.live)} RENAME TO ${id(swap.keptAs)}`);
    await admin.query(`ALTER DATABASE ${id(swap.restored)} RENAME TO ${id(swap.live)}`);
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
