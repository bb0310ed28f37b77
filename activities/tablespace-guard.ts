/**
 * Recovery replays CREATE TABLESPACE at the server's location and links the tablespace there
 * (PostgreSQL offers no way to remap it), so on a host holding that folder (the server's own) a
 * tablespace created after the base backup would have the copy's replay write into the
 * server's files (seen with PostgreSQL 15). Checked before anything is written by asking the
 * server; when it cannot be asked (lost), each WAL segment is looked at with pg_waldump before
 * recovery may read it, and a creation whose folder exists here stops the recovery first.
 */
import { log } from '@temporalio/activity';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseTarget } from '../src/infra/config/databases';
import { UsageError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { connectDatabase } from '../src/infra/postgres/client';
import { otherTablespaces } from '../src/infra/postgres/tablespaces';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import type { BaseBackupManifest } from '../src/operations/pitr/base-backup';
import { createdSince, tablespaceCreations } from '../src/operations/pitr/tablespace-creations';

const WAY_OUT = (server: string) =>
  `take a new base backup (pgwarden basebackup --server ${server}) and recover from it, or recover on another host`;

/**
 * Refuses (exit 64) when the server, asked now, has a tablespace the base backup lacks whose
 * folder exists on this host; false when the server could not be asked.
 */
export async function refuseTablespacesCreatedSince(
  target: DatabaseTarget,
  base: BaseBackupManifest,
  server: string,
): Promise<boolean> {
  let now;
  try {
    const client = await connectDatabase(target);
    try {
      now = await otherTablespaces(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    log.warn('the server could not be asked for its tablespaces; the WAL fetched is looked at instead', {
      server,
      error: (err as Error).message,
    });
    return false;
  }
  const known = new Set((base.tablespaces ?? []).map((t) => t.oid));
  const late = now.find((t) => !known.has(t.oid) && existsSync(t.location));
  if (late)
    throw new UsageError(
      `${server}: tablespace ${late.name} was created after base backup ${base.backupId}, and recovering past its creation on this host would write into ${late.location}, the server's own files; ${WAY_OUT(server)}`,
    );
  return true;
}

/** Looks at one fetched segment (at `path`, named `name`) before recovery may read it. */
export function walTablespaceInspector(
  base: BaseBackupManifest,
  server: string,
  pgBinDir: string | undefined,
  scratch: string,
): (path: string, name: string) => Promise<void> {
  // pg_waldump reads only its own major's WAL.
  const program = pgProgram('pg_waldump', pgBinDir, (m) => m === Math.floor(base.serverInfo.versionNum / 10000));
  let unavailable = false;
  return async (path, name) => {
    if (unavailable) return;
    // pg_waldump knows a segment by its file name: the fetched file is seen under it.
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    const seen = join(scratch, name);
    await rm(seen, { force: true });
    await symlink(path, seen);
    let said: string;
    try {
      said = (await runCommand(program, ['--rmgr=Tablespace', seen])).stdout;
    } catch (err) {
      // A record cut by the segment's end or the open segment's zeros ends the listing, not the look.
      if (!(err instanceof CommandError) || err.code === 'ENOENT') {
        unavailable = true;
        log.warn('pg_waldump could not run: tablespaces made after the base backup are not looked for', {
          server,
          error: (err as Error).message,
        });
        return;
      }
      said = err.stdout;
    } finally {
      await rm(seen, { force: true });
    }
    const here = createdSince(tablespaceCreations(said), base).find((c) => existsSync(c.location));
    if (here)
      throw new UsageError(
        `${server}: a tablespace (oid ${here.oid}) was created after base backup ${base.backupId} (at ${here.lsn}, in ${name}), and recovering past its creation on this host would write into ${here.location}, the server's own files; ${WAY_OUT(server)}`,
      );
  };
}
