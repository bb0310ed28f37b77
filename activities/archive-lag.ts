/**
 * The daily check's measure of a server's WAL archive from outside the archiver: the server's
 * WAL position and slot against what the bucket holds and when it last received any (the
 * judgement is dailyLagProblems, a plain function), and PostgreSQL's own archiver when an
 * archive_command runs (archiverProblems, with the age of its backlog). The watchdog inside
 * the archiver alerts within seconds; this catches what it cannot: an archiver that is not
 * running at all.
 */
import { requireDatabase } from '../src/infra/config/config';
import { walArrivesVia } from '../src/infra/config/wal';
import { connectDatabase } from '../src/infra/postgres/client';
import { ArchivedWal, archivedUpTo } from '../src/operations/pitr/archive';
import { ArchiveBacklog, ArchiverStats, readArchiveBacklog, readArchiverStats } from '../src/infra/postgres/archiver-stats';
import { archiverProblems } from '../src/operations/pitr/archiver';
import { dailyLagProblems } from '../src/operations/pitr/lag';
import { slotNameFor } from '../src/operations/pitr/spool';
import { ActivityDeps } from './deps';
import { SlotPosition, slotPosition } from './slot-position';

export async function archiveLagProblems(deps: ActivityDeps, server: string, wal: ArchivedWal, now: Date): Promise<string[]> {
  let position: SlotPosition;
  let archiver: ArchiverStats;
  let backlog: ArchiveBacklog | undefined;
  try {
    const client = await connectDatabase(requireDatabase(deps.config, server));
    try {
      position = await slotPosition(client, slotNameFor(server));
      archiver = await readArchiverStats(client);
      backlog = await readArchiveBacklog(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    return [`the WAL position of ${server} could not be read to judge the archive's lag: ${(err as Error).message}`];
  }
  const lag = dailyLagProblems({
    server,
    serverLsn: position.lsn,
    archivedLsn: await archivedUpTo(deps.bucket, wal, position.segmentBytes),
    newestStoredAt: wal.newestStoredAt,
    retainedBytes: position.retained,
    now: now.getTime(),
    limits: { maxLagSeconds: deps.config.wal.maxLagSeconds, maxRetainedBytes: deps.config.wal.maxRetainedBytes },
    archiveCommandOnly: walArrivesVia(deps.config.wal, server) === 'archive_command',
  });
  return [...lag, ...archiverProblems({ server, ...archiver, backlog, limitSeconds: deps.config.wal.maxLagSeconds })];
}
