/**
 * Step 3's point-in-time proposal, as a plain function: the second before the failure when a
 * base backup before it and gap-free WAL from that backup on cover it, or the end of the
 * archive when the archive stops earlier (a lost server); otherwise why not, in one line.
 */
import type { BaseBackupManifest } from '../pitr/base-backup';
import { chooseBaseBackup, type RecoveryTarget } from '../pitr/target';
import { gapMessage, walContinuity } from '../pitr/wal-continuity';
import { parseLsn, type TimelineSwitch } from '../pitr/wal-names';
import type { PointInTimeProposal } from './incident';

export interface ArchiveFacts {
  segments: Iterable<string>;
  histories: Map<number, TimelineSwitch[]>;
  /** When the newest WAL object reached the bucket (ms); null for an empty archive. */
  newestStoredAt: number | null;
}

/**
 * The recorded restore points worth offering at step 3: made before the failure, reachable
 * from a base backup, the newest few first (a point taken before a risky change is what
 * on-call most often wants back).
 */
export function pointsBeforeFailure(
  points: Array<{ name: string; createdAt: string; fromBaseBackup: string | null }>,
  failureTime: string,
  limit = 3,
): Array<{ name: string; createdAt: string }> {
  const failure = Date.parse(failureTime);
  return points
    .filter((p) => p.fromBaseBackup !== null && Date.parse(p.createdAt) < failure)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
    .slice(0, limit)
    .map((p) => ({ name: p.name, createdAt: p.createdAt }));
}

export function pointBeforeFailure(
  server: string,
  bases: BaseBackupManifest[],
  archive: ArchiveFacts,
  failureTime: string,
): Omit<PointInTimeProposal, 'hostQueue'> | { unavailable: string } {
  const failure = Date.parse(failureTime);
  const justBefore: RecoveryTarget = { kind: 'time', time: new Date(failure - 1000).toISOString() };
  const chosen = chooseBaseBackup(bases, justBefore);
  if ('problem' in chosen) return { unavailable: chosen.problem };
  const base = chosen.base;
  const timeline = Math.max(base.start.timeline, ...archive.histories.keys());
  const continuity = walContinuity({
    from: parseLsn(base.start.lsn),
    timeline,
    history: archive.histories.get(timeline) ?? [],
    stored: archive.segments,
    segmentBytes: base.serverInfo.segmentBytes,
  });
  if (continuity.reachableUntil < parseLsn(base.stop.lsn))
    return { unavailable: `the WAL base backup ${base.backupId} needs is not all archived (pgwarden wal status)` };
  // A gap after the base backup: how far it reaches in time is not known here, so no point is proposed.
  if (continuity.firstMissing)
    return { unavailable: `the WAL archive of ${server} has a gap after ${base.backupId}: ${gapMessage(continuity)}` };
  const newest = archive.newestStoredAt;
  if (newest !== null && newest >= failure - 1000)
    return {
      target: justBefore,
      baseBackupId: base.backupId,
      lossSeconds: 1,
      why: `the second before the failure, from base backup ${base.backupId} and the WAL archived since`,
    };
  // The archive stops before the failure (the server went down with it): everything there is.
  const lossSeconds =
    newest === null ? Math.round((failure - Date.parse(base.finishedAt)) / 1000) : Math.round((failure - newest) / 1000);
  return {
    target: { kind: 'latest' },
    baseBackupId: base.backupId,
    lossSeconds: Math.max(1, lossSeconds),
    why: `the end of the WAL archive (stored ${newest === null ? base.finishedAt : new Date(newest).toISOString()}), from base backup ${base.backupId}: the archive stops before the failure`,
  };
}
