/**
 * Recovery replays CREATE TABLESPACE at the server's location and links the tablespace there
 * (PostgreSQL offers no way to remap it), so on a host holding that folder (the server's own) a
 * tablespace created after the base backup would have the copy's replay write into the
 * server's files (seen with PostgreSQL 15). A target before the creation is safe, one past it
 * is not: the WAL recovery reads is cut just before the creation record, so recovery either
 * reaches its target first or ends there, which PostgreSQL reports ("recovery ended before
 * configured recovery target was reached") and the restore turns into one line. With no target
 * (latest) the cut would promote an earlier state without a word, so that is refused.
 *
 * The server, when it can be asked, says whether such a tablespace exists; when it cannot
 * (lost), or when one exists and a target was given, each WAL segment is looked at with
 * pg_waldump before recovery may read it.
 */
import { log } from '@temporalio/activity';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseTarget } from '../src/infra/config/databases';
import { UsageError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { connectDatabase } from '../src/infra/postgres/client';
import { otherTablespaces } from '../src/infra/postgres/tablespaces';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import type { BaseBackupManifest } from '../src/operations/pitr/base-backup';
import type { RecoveryTarget } from '../src/operations/pitr/target';
import { createdSince, TablespaceCreation, tablespaceCreations, walCutAt } from '../src/operations/pitr/tablespace-creations';
import { parseSegmentName } from '../src/operations/pitr/wal-names';
import type { WalInspector } from './wal-fetch';

const WAY_OUT = (server: string) =>
  `take a new base backup (pgwarden basebackup --server ${server}) and recover from it, or recover on another host`;
const OR_BEFORE = 'give a target before its creation (--to TIME, --to-lsn or --to-name), ';

/**
 * What the server, asked now, says of tablespaces the base backup lacks whose folder exists on
 * this host: 'none'; 'some' (the WAL must be looked at and cut at their creation); 'unasked'
 * (it could not be asked: the WAL is looked at). Refuses (exit 64) a recovery with no target
 * past such a creation.
 */
export async function tablespacesCreatedSince(
  target: DatabaseTarget,
  base: BaseBackupManifest,
  server: string,
  recoveryTarget: RecoveryTarget,
): Promise<'none' | 'some' | 'unasked'> {
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
    return 'unasked';
  }
  const known = new Set((base.tablespaces ?? []).map((t) => t.oid));
  const late = now.find((t) => !known.has(t.oid) && existsSync(t.location));
  if (!late) return 'none';
  if (recoveryTarget.kind === 'latest')
    throw new UsageError(
      `${server}: tablespace ${late.name} was created after base backup ${base.backupId}, and recovering past its creation on this host would write into ${late.location}, the server's own files; ${OR_BEFORE}${WAY_OUT(server)}`,
    );
  return 'some';
}

/** What recovery was kept from: the creation before which the WAL was cut. */
export interface WalCut {
  creation: TablespaceCreation;
  segment: string;
}

/** The line for a recovery that ended at the cut before reaching its target. */
export function pastCutMessage(server: string, base: BaseBackupManifest, cut: WalCut): string {
  return `${server}: the target lies past the creation of a tablespace (oid ${cut.creation.oid}) at ${cut.creation.lsn}, after base backup ${base.backupId}, and recovering past it on this host would write into ${cut.creation.location}, the server's own files; give a target before ${cut.creation.lsn}, ${WAY_OUT(server)}`;
}

/**
 * Looks at each segment (with the one before it, for a record crossing into it) before
 * recovery may read it. A creation whose folder exists here is refused when there is no target
 * or the copy needs it to be consistent; otherwise the segment is zeroed from the record's
 * start (from its own start when the record began in the segment before) and the WAL ends there.
 */
export function walTablespaceInspector(
  base: BaseBackupManifest,
  server: string,
  recoveryTarget: RecoveryTarget,
  pgBinDir: string | undefined,
  scratch: string,
): { inspect: WalInspector; cut: () => WalCut | undefined } {
  // pg_waldump reads only its own major's WAL.
  const program = pgProgram('pg_waldump', pgBinDir, (m) => m === Math.floor(base.serverInfo.versionNum / 10000));
  const segmentBytes = base.serverInfo.segmentBytes;
  let unavailable = false;
  let cut: WalCut | undefined;
  const inspect: WalInspector = async (segment, previous) => {
    if (unavailable) return undefined;
    const s = parseSegmentName(segment.name, segmentBytes)!;
    const p = previous && parseSegmentName(previous.name, segmentBytes);
    const files = [...(p && p.timeline === s.timeline && p.segno + 1n === s.segno ? [previous!] : []), segment];
    // pg_waldump knows a segment by its file name: each file is seen under it.
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    for (const f of files) await symlink(f.path, join(scratch, f.name));
    let said: string;
    try {
      said = (await runCommand(program, ['--rmgr=Tablespace', ...files.map((f) => join(scratch, f.name))])).stdout;
    } catch (err) {
      // A record cut by the segment's end or the open segment's zeros ends the listing, not the look.
      if (!(err instanceof CommandError) || err.code === 'ENOENT') {
        unavailable = true;
        log.warn('pg_waldump could not run: tablespaces made after the base backup are not looked for', {
          server,
          error: (err as Error).message,
        });
        return undefined;
      }
      said = err.stdout;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const here = createdSince(tablespaceCreations(said), base).find((c) => existsSync(c.location));
    if (!here) return undefined;
    const decision = walCutAt({
      creationLsn: here.lsn,
      segment: segment.name,
      segmentBytes,
      baseStopLsn: base.stop.lsn,
      hasTarget: recoveryTarget.kind !== 'latest',
    });
    if (decision.refuse)
      throw new UsageError(
        `${server}: a tablespace (oid ${here.oid}) was created after base backup ${base.backupId} (at ${here.lsn}, in ${segment.name}), and recovering past its creation on this host would write into ${here.location}, the server's own files; ${recoveryTarget.kind === 'latest' ? OR_BEFORE : ''}${WAY_OUT(server)}`,
      );
    const file = await open(segment.path, 'r+');
    try {
      await file.write(Buffer.alloc(segmentBytes - decision.zeroFrom), 0, segmentBytes - decision.zeroFrom, decision.zeroFrom);
    } finally {
      await file.close();
    }
    cut = { creation: here, segment: segment.name };
    log.info('WAL cut before a tablespace created after the base backup', { server, lsn: here.lsn, segment: segment.name });
    return 'end';
  };
  return { inspect, cut: () => cut };
}
