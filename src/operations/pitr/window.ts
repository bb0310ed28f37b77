/**
 * The daily check of a server's point-in-time archive, as a plain function: is there a base
 * backup, and is every WAL segment from the oldest one's start to the newest segment stored,
 * along the newest timeline? The recoverable window, and one line per problem.
 */
import type { BaseBackupManifest } from './base-backup';
import { formatLsn, parseLsn, TimelineSwitch } from './wal-names';
import { gapMessage, walContinuity } from './wal-continuity';

export interface PitrStatus {
  server: string;
  baseBackups: number;
  /** From the oldest base backup's end to the newest WAL without a gap. */
  window: { from: string; fromBackup: string; toLsn: string } | null;
  walSegments: number;
  firstMissing: string | null;
  problems: string[];
}

export function pitrCheck(
  server: string,
  bases: BaseBackupManifest[],
  wal: { segments: Iterable<string>; histories: Map<number, TimelineSwitch[]> },
): PitrStatus {
  const sorted = [...bases].sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : 1));
  const segments = [...wal.segments];
  if (!sorted.length)
    return {
      server,
      baseBackups: 0,
      window: null,
      walSegments: segments.length,
      firstMissing: null,
      problems: [
        `no base backup of ${server} exists, so no point in time can be restored; run pgwarden basebackup (pgwarden schedules apply adds a weekly one)`,
      ],
    };
  const oldest = sorted[0];
  const timeline = Math.max(oldest.start.timeline, ...wal.histories.keys());
  // How far recovery from a base backup's start reaches, along the newest timeline.
  const from = (b: BaseBackupManifest) =>
    walContinuity({
      from: parseLsn(b.start.lsn),
      timeline,
      history: wal.histories.get(timeline) ?? [],
      stored: segments,
      segmentBytes: b.serverInfo.segmentBytes,
    });
  const c = from(oldest);
  const problems: string[] = [];
  if (c.firstMissing)
    problems.push(
      `the WAL archive of ${server} has a gap (${c.gaps.join(', ')}): ${gapMessage(c)}; points after it are recoverable only from a newer base backup`,
    );
  // From the newest base backup on (a gap before it does not stop recovery from it).
  const newest = sorted.at(-1)!;
  const fromNewest = from(newest);
  if (fromNewest.reachableUntil <= parseLsn(newest.stop.lsn))
    problems.push(
      `no WAL of ${server} was archived after its newest base backup ${newest.backupId}: is archiving running? (pgwarden wal status; pgwarden wal start)`,
    );
  return {
    server,
    baseBackups: sorted.length,
    window: { from: oldest.finishedAt, fromBackup: oldest.backupId, toLsn: formatLsn(c.reachableUntil) },
    walSegments: c.found,
    firstMissing: c.firstMissing ?? null,
    problems,
  };
}
