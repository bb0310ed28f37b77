/**
 * What a server's point-in-time archive holds, as `pgwarden pitr list` shows it: its base
 * backups with how far recovery from each reaches and their latest verification, the
 * recoverable window, and how far the bucket holds WAL. Read on a worker, so the operator's
 * machine needs no S3 credentials.
 */
import { UsageError } from '../src/infra/errors/errors';
import { archivedUpTo, readArchive } from '../src/operations/pitr/archive';
import { DEFAULT_WAL_SEGMENT_BYTES, formatLsn } from '../src/operations/pitr/wal-names';
import { incrementalNotes } from '../src/operations/pitr/incremental';
import {
  failedVerificationProblems,
  ListedBaseBackup,
  listedBaseBackups,
  notArchived,
  pitrCheck,
  RecoverableWindow,
  recoverableWindow,
} from '../src/operations/pitr/window';
import { ActivityDeps } from './deps';
import { walReadBack } from './wal-verification';
import type { WalReadBack } from '../src/operations/pitr/wal-verification';
import { baseVerifications, failedIn } from './base-verifications';
import { listedRestorePoints } from './restore-points';
import type { ListedRestorePoint } from '../src/operations/pitr/restore-points';

export interface PitrArchiveListing {
  server: string;
  /** Newest first. */
  baseBackups: ListedBaseBackup[];
  /** From the oldest base backup whose WAL reaches the end (complete segments) to the newest WAL stored. */
  window: { from: string; fromBackup: string; toLsn: string; to: string | null } | null;
  /** How far the bucket holds WAL, the open segment's copy included; null for an empty archive. */
  archivedUpTo: string | null;
  walSegments: number;
  /** What the daily check alerts on, and base backups that failed their verification. */
  problems: string[];
  /** What the daily check only notes: a gap older base backups stop at. */
  notes: string[];
  /** The restore points recorded with pitr mark, newest first, each with its base backup (absent from older workers). */
  restorePoints?: ListedRestorePoint[];
  /** How far verify has read the archived WAL back (absent from older workers). */
  walReadBack?: WalReadBack;
}

export interface RecoveryArchive {
  window: RecoverableWindow;
  /** Newest first, each with its base backup. */
  restorePoints: ListedRestorePoint[];
  /** Newest first, with their verifications. */
  baseBackups: ListedBaseBackup[];
}

export function pitrArchiveActivities(deps: ActivityDeps) {
  return {
    async listPitrArchive(input: { server: string }): Promise<PitrArchiveListing> {
      if (!deps.config.wal.servers.includes(input.server))
        // Said as the worker's: a command whose own WAL_ARCHIVE names the server passed it here.
        throw new UsageError(
          `${input.server} is not in the worker's WAL_ARCHIVE (${deps.config.wal.servers.join(', ') || 'empty'}), so it has no point-in-time archive there: add it to the WAL_ARCHIVE of the worker and restart the worker`,
        );
      return pitrArchiveListing(deps, input.server);
    },

    /**
     * What the console's backups page and an incident's selection offer of a database's server,
     * from one read of its archive: the window, the restore points and the base backups.
     */
    async recoveryArchive(input: { database: string }): Promise<RecoveryArchive> {
      const server = input.database;
      if (!deps.config.wal.servers.includes(server)) return { window: notArchived(server), restorePoints: [], baseBackups: [] };
      const { bases, wal, verifications, listed } = await readListedBases(deps, server);
      const status = pitrCheck(server, bases, { segments: wal.segments.keys(), histories: wal.histories });
      return {
        window: recoverableWindow(server, status.window, wal.newestStoredAt),
        restorePoints: await listedRestorePoints(deps, server, bases, failedIn(verifications)),
        baseBackups: listed,
      };
    },

    /** The base backups of a database's server for the console, newest first; none when it is not in WAL_ARCHIVE. */
    async listBaseBackups(input: { database: string }): Promise<ListedBaseBackup[]> {
      if (!deps.config.wal.servers.includes(input.database)) return [];
      return (await readListedBases(deps, input.database)).listed;
    },
  };
}

/**
 * A server's base backups, each with its latest verification and how far recovery from it
 * reaches, and what was read for them.
 */
async function readListedBases(deps: ActivityDeps, server: string) {
  const { bases, wal } = await readArchive(deps.bucket, deps.keyring, deps.config.storage.prefix, server);
  const verifications = await baseVerifications(deps, server, bases);
  const listed = listedBaseBackups(bases, { segments: wal.segments.keys(), histories: wal.histories }, verifications);
  return { bases, wal, verifications, listed };
}

/** What the bucket holds of a server's point-in-time archive, judged as the daily check judges it. */
async function pitrArchiveListing(deps: ActivityDeps, server: string): Promise<PitrArchiveListing> {
  const { bases, wal, verifications, listed } = await readListedBases(deps, server);
  const status = pitrCheck(server, bases, { segments: wal.segments.keys(), histories: wal.histories });
  const upTo = await archivedUpTo(deps.bucket, wal, bases[0]?.serverInfo.segmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES);
  return {
    server,
    baseBackups: listed,
    window: status.window && {
      ...status.window,
      to: wal.newestStoredAt === null ? null : new Date(wal.newestStoredAt).toISOString(),
    },
    archivedUpTo: upTo === null ? null : formatLsn(upTo),
    walSegments: wal.segments.size,
    problems: [...status.problems, ...failedVerificationProblems(listed)],
    notes: [...(status.notes ?? []), ...incrementalNotes(server, bases, deps.config.wal.baseBackupIncrementals)],
    restorePoints: await listedRestorePoints(deps, server, bases, failedIn(verifications)),
    walReadBack: await walReadBack(deps, server, wal, bases[0]?.serverInfo.segmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES),
  };
}
