/**
 * An archiving round for a server whose WAL reaches the bucket only through its own
 * archive_command (WAL_ARCHIVE_COMMAND_ONLY): PostgreSQL's archiver sends each completed
 * segment with `pgwarden wal push`, so nothing streams and no slot is kept. The round watches
 * instead, so the watchdog, `wal status`, `wal start` and base backups work as for a streamed
 * server: it checks once that the server archives at all and that the bucket holds this
 * cluster's WAL, then every few seconds samples pg_stat_archiver (ArchiverWatch) and the
 * server's WAL position against the newest segment in the bucket (LagWatch). The open segment
 * is not archived until it completes, so the RPO is archive_timeout on a quiet server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '@temporalio/activity';
import { requireDatabase } from '../src/infra/config/config';
import { UsageError, WalArchiveError } from '../src/infra/errors/errors';
import { readArchiverStats, readArchiveTimeout } from '../src/infra/postgres/archiver-stats';
import { connectDatabase } from '../src/infra/postgres/client';
import { checkReplicationServer } from '../src/infra/postgres/replication';
import { archivedSystem, newestInArchive } from '../src/operations/pitr/archive-system';
import { archiveTimeoutNote, type ArchiverReading } from '../src/operations/pitr/archiver';
import type { LagReading, LagWatch } from '../src/operations/pitr/lag';
import { slotNameFor } from '../src/operations/pitr/spool';
import { otherClusterProblem } from '../src/operations/pitr/system-identifier';
import { formatLsn, parseSegmentName, segmentEnd } from '../src/operations/pitr/wal-names';
import { ActivityDeps, archiveAccess } from './deps';
import { slotPosition } from './slot-position';

export interface ArchiveCommandRound {
  server: string;
  roundSeconds: number;
  signal: AbortSignal;
  watch: LagWatch;
  /** The newest segment the previous round saw in the bucket. */
  newestArchived?: string;
  /** Heartbeats where the archive stands. */
  progress(at: { newestArchived?: string; archivedLsn: string }, summary: string): void;
  report(r: LagReading): Promise<void>;
  reportArchiver(r: ArchiverReading): Promise<void>;
  /** The round's checks passed: it watches. */
  checked(): Promise<void>;
}

/** How often the server is sampled (as streaming's watchdog does). */
const SAMPLE_MS = 2000;
/** The bucket is listed when the archiver reports a new success, else this often while behind: each listing is a paid request. */
const RELIST_MS = 60_000;

export async function watchArchiveCommand(deps: ActivityDeps, round: ArchiveCommandRound): Promise<void> {
  const { server, watch } = round;
  const client = await connectDatabase(requireDatabase(deps.config, server));
  try {
    // Base backups of the server need what streaming needs: wal_level replica, REPLICATION, a primary.
    const checked = await checkReplicationServer(
      client,
      server,
      "archive the primary, whose archive_command sends the WAL (a standby's archive_mode = always is not watched)",
    );
    const first = await readArchiverStats(client);
    const settings = `WAL_ARCHIVE_COMMAND_ONLY names ${server}, so its archive_command is all that archives it`;
    if (first.archiveMode === 'off')
      throw new UsageError(
        `${server}: archive_mode is off, and ${settings}: set archive_mode = on (a restart) and archive_command = 'pgwarden --config FILE wal push %p --server ${server}' (see the README)`,
      );
    if (first.configured === false)
      throw new UsageError(
        `${server}: archive_command is not set, and ${settings}: set archive_command = 'pgwarden --config FILE wal push %p --server ${server}' and reload (see the README)`,
      );
    const access = archiveAccess(deps);
    const segmentBytes = checked.segmentBytes;
    let newest = round.newestArchived ?? (await newestInArchive(access, server, segmentBytes));
    const otherCluster = otherClusterProblem(
      await archivedSystem(access, server, segmentBytes, newest),
      checked.systemIdentifier,
    );
    if (otherCluster) throw new WalArchiveError(`${server}: ${otherCluster}`);
    const slot = slotNameFor(server);
    const leftOver = await slotPosition(client, slot);
    if (leftOver.retained !== null)
      log.warn("a replication slot left from streaming keeps WAL on the server's disk; nothing reads it now", {
        server,
        slot,
        drop: `once the archive holds everything, as a superuser: SELECT pg_drop_replication_slot('${slot}')`,
      });

    // A setting worth changing is said where people look: the log, and every heartbeat (wal start, wal status).
    const note = archiveTimeoutNote(await readArchiveTimeout(client), deps.config.wal.maxLagSeconds);
    if (note) log.warn(note, { server });

    /** How far the archive holds WAL: the end of its newest segment (0/0 for none). */
    const endOf = (name: string | undefined) => {
      const s = name ? parseSegmentName(name, segmentBytes) : undefined;
      return s ? segmentEnd(s.segno, segmentBytes) : 0n;
    };
    await round.checked();
    const until = Date.now() + round.roundSeconds * 1000;
    let seenArchivedAt: number | null | undefined;
    let listedAt = 0;
    let recorded = newest;
    for (;;) {
      const stats = await readArchiverStats(client);
      const now = deps.now().getTime();
      const archiver = watch.archiver.sample(now, stats, server);
      await round.reportArchiver(archiver);
      const position = await slotPosition(client, slot);
      const behind = position.lsn !== null && position.lsn > endOf(newest);
      if (stats.lastArchivedAt !== seenArchivedAt || (behind && Date.now() - listedAt >= RELIST_MS)) {
        newest = await newestInArchive(access, server, segmentBytes, newest);
        seenArchivedAt = stats.lastArchivedAt;
        listedAt = Date.now();
      }
      const archivedLsn = endOf(newest);
      if (position.lsn !== null) {
        // As streaming records it: when a segment is seen stored (within a sample of its push).
        if (newest !== recorded) {
          recorded = newest;
          deps.metrics.walArchived(server, {
            archivedLsnBytes: Number(archivedLsn),
            behindBytes: Number(position.lsn > archivedLsn ? position.lsn - archivedLsn : 0n),
            at: new Date(now),
          });
        }
        await round.report(watch.sample(now, position.lsn, archivedLsn, position.retained));
      }
      const failing =
        archiver.wal && archiver.troubleSeconds > 0
          ? `; failing on ${archiver.wal} for ${Math.round(archiver.troubleSeconds)} s`
          : '';
      round.progress(
        { newestArchived: newest, archivedLsn: formatLsn(archivedLsn) },
        `watching the server's archive_command: the archive holds WAL up to ${formatLsn(archivedLsn)}${newest ? ` (${newest})` : ''}${failing}${note ? `; ${note}` : ''}`,
      );
      if (round.signal.aborted || Date.now() >= until) return;
      await sleep(SAMPLE_MS, undefined, { signal: round.signal }).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
