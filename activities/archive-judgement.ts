/**
 * A server's point-in-time archive as the daily check judges it, and as the report shows it:
 * continuity from its base backups, whether it keeps up with the server, its base backups'
 * age and verification, and archived segments that failed verify's read-back. One judgement, so the report names what the check alerts on.
 */
import { readArchive } from '../src/operations/pitr/archive';
import { baseBackupFreshnessProblems } from '../src/operations/pitr/base-freshness';
import { pitrCheck, PitrStatus } from '../src/operations/pitr/window';
import { incrementalNotes } from '../src/operations/pitr/incremental';
import { archiveLagProblems } from './archive-lag';
import { baseVerifications } from './base-verifications';
import { ActivityDeps } from './deps';
import { walReadBack } from './wal-verification';
import { walReadBackProblems } from '../src/operations/pitr/wal-verification';
import { DEFAULT_WAL_SEGMENT_BYTES } from '../src/operations/pitr/wal-names';

export async function judgeArchive(deps: ActivityDeps, server: string, now: Date): Promise<PitrStatus> {
  const { bases, wal } = await readArchive(deps.bucket, deps.keyring, deps.config.storage.prefix, server);
  const status = pitrCheck(server, bases, { segments: wal.segments.keys(), histories: wal.histories });
  const lag = await archiveLagProblems(deps, server, wal, now);
  const { maxBaseBackupAgeDays, maxVerifiedAgeDays } = deps.config.schedules;
  const stale = baseBackupFreshnessProblems({
    server,
    bases,
    verifications: await baseVerifications(deps, server, bases),
    maxAgeDays: maxBaseBackupAgeDays,
    maxVerifiedAgeDays,
    now,
  });
  const damaged = walReadBackProblems(
    server,
    await walReadBack(deps, server, wal, bases[0]?.serverInfo.segmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES),
  );
  const notes = [...(status.notes ?? []), ...incrementalNotes(server, bases, deps.config.wal.baseBackupIncrementals)];
  return { ...status, problems: [...status.problems, ...lag, ...stale, ...damaged], notes };
}
