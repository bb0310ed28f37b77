/**
 * The daily check of a server's point-in-time archive, as a plain function: is there a base
 * backup, and is every WAL segment from a base backup's start to the newest segment stored,
 * along the newest timeline? The recoverable window (from the oldest base backup that reaches
 * the end), one line per problem, and one per note: a gap before a newer base backup (a slot
 * given up, then `wal start --accept-gap` and a base backup) only cuts the older windows short,
 * which nothing can mend, so it is said, not failed on every day until retention drops them.
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
  /** What is worth knowing but not failing on: a gap older base backups cannot recover past (absent from older workers). */
  notes?: string[];
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
      notes: [],
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
  // The window starts at the oldest base backup whose WAL reaches the end; with none, the oldest's, up to its gap.
  const whole = sorted.find((b) => !from(b).firstMissing);
  const first = whole ?? oldest;
  const c = from(first);
  const problems: string[] = [];
  if (c.firstMissing)
    problems.push(
      `the WAL archive of ${server} has a gap (${c.gaps.join(', ')}): ${gapMessage(c)}; points after it are recoverable only from a newer base backup`,
    );
  const notes: string[] = [];
  if (first !== oldest) {
    const early = from(oldest);
    notes.push(
      `the WAL archive of ${server} has a gap before base backup ${first.backupId} (${early.gaps.join(', ')}): older base backups recover only up to ${formatLsn(early.reachableUntil)}, and no point in the gap can be restored`,
    );
  }
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
    window: { from: first.finishedAt, fromBackup: first.backupId, toLsn: formatLsn(c.reachableUntil) },
    walSegments: c.found,
    firstMissing: c.firstMissing ?? null,
    problems,
    notes,
  };
}
