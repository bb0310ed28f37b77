/**
 * How a restored database takes its name, in one transaction (ALTER DATABASE ... RENAME and
 * COMMENT are transactional): in place, the live database moves aside and the restored one
 * takes its name; as a new database, the restored one takes the name asked for. The restore's
 * mark gives way to the backup's own comment in the same transaction, so a database under the
 * target's name is complete, and one under a restore's working name still carries the mark
 * (the retry and the janitor go by it). A rename refused, or a worker dying in between, never
 * leaves the server without a database of that name. Only the database the restore loaded is
 * put in place: another attempt of the same restore may have made one under the same working
 * name since, and the oid tells them apart.
 */
import { Client } from 'pg';
import { databaseOid } from './database-identity';
import { databaseCommentStatement } from './database-properties';

export interface Swap {
  /** The name the restored database takes (the live database's, or the new one asked for). */
  live: string;
  /** The restored database, loaded beside the live one under a working name. */
  restored: string;
  /** The oid of the database the restore loaded and checked under `restored`. */
  restoredOid: string;
  /** Where the live database goes; null when there is none (a new database, or a server that lost it). */
  keptAs: string | null;
  /** The backup's comment on the database, replacing the restore's mark. */
  comment: string | null;
  /** The role that sets it (the database's owner, as the backup had it); else the connected user. */
  commentAs?: string;
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
    if (swap.commentAs) await admin.query(`SET LOCAL ROLE ${id(swap.commentAs)}`);
    await admin.query(databaseCommentStatement(swap.live, swap.comment));
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
