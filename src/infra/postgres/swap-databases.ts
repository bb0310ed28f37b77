/**
 * An in-place restore's swap: the live database moves aside and the restored one takes its
 * name, in one transaction (ALTER DATABASE ... RENAME is transactional). A rename refused or a
 * worker dying between the two never leaves the server without a database of that name. Only
 * the database the restore loaded is swapped in: another attempt of the same restore may have
 * made one under the same name since, and the oid tells them apart.
 */
import { Client } from 'pg';
import { databaseOid } from './database-identity';

export interface Swap {
  /** The name the restored database takes (the live database's). */
  live: string;
  /** The restored database, loaded beside the live one. */
  restored: string;
  /** The oid of the database the restore loaded and checked under `restored`. */
  restoredOid: string;
  /** Where the live database goes; null when there is none (a server that lost it). */
  keptAs: string | null;
}

export async function swapDatabases(admin: Client, swap: Swap): Promise<void> {
  const id = (name: string) => admin.escapeIdentifier(name);
  await admin.query('BEGIN');
  try {
    if (swap.keptAs) await admin.query(`ALTER DATABASE ${id(swap.live)} RENAME TO ${id(swap.keptAs)}`);
    await admin.query(`ALTER DATABASE ${id(swap.restored)} RENAME TO ${id(swap.live)}`);
    // Checked after the rename, which holds the database's lock until COMMIT: nobody can replace it in between.
    if ((await databaseOid(admin, swap.live)) !== swap.restoredOid)
      throw new Error(
        `database "${swap.restored}" is no longer the one this attempt loaded (another attempt of the restore made it again); nothing was swapped`,
      );
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
