/**
 * The daily check of a server's point-in-time archive, as a plain function: is there a base
 * backup, and is every WAL segment from a base backup's start to the newest segment stored,
 * along the newest timeline? The recoverable window (from the oldest base backup that reaches
 * the end), one line per problem, and one per note: a gap before a newer base backup (a slot
 * given up, then `wal start --accept-gap` and a base backup) only cuts the older windows short,
 * which nothing can mend, so it is said, not failed on every day until retention drops them.
 */
import { BaseBackupManifest, baseBackupStoredBytes, byFinish } from './base-backup';
import { formatLsn, parseLsn, TimelineSwitch } from './wal-names';
import { Continuity, gapMessage, walContinuity } from './wal-continuity';
import { chainGaps, restorable } from './incremental';

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
  // An incremental whose chain lost a member restores nothing: the window is of the others.
  const sorted = byFinish(restorable(bases));
  const broken = brokenChainProblems(server, bases);
  const segments = [...wal.segments];
  if (!sorted.length)
    return {
      server,
      baseBackups: 0,
      window: null,
      walSegments: segments.length,
      firstMissing: null,
      problems: [
        ...broken,
        `no ${bases.length ? 'restorable ' : ''}base backup of ${server} exists, so no point in time can be restored; run pgwarden basebackup (pgwarden schedules apply adds a weekly one)`,
      ],
      notes: [],
    };
  const oldest = sorted[0];
  // `segments`, not wal.segments: that may be an iterator, read once above.
  const from = reachFrom(oldest, { segments, histories: wal.histories });
  // The window starts at the oldest base backup whose WAL reaches the end; with none, the oldest's, up to its gap.
  const whole = sorted.find((b) => !from(b).firstMissing);
  const first = whole ?? oldest;
  const c = from(first);
  const problems: string[] = [...broken];
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

/** How far recovery from a base backup's start reaches along the archive's newest timeline. */
function reachFrom(
  oldest: BaseBackupManifest,
  wal: { segments: Iterable<string>; histories: Map<number, TimelineSwitch[]> },
): (b: BaseBackupManifest) => Continuity {
  const segments = [...wal.segments];
  const timeline = Math.max(oldest.start.timeline, ...wal.histories.keys());
  return (b) =>
    walContinuity({
      from: parseLsn(b.start.lsn),
      timeline,
      history: wal.histories.get(timeline) ?? [],
      stored: segments,
      segmentBytes: b.serverInfo.segmentBytes,
    });
}

/** A base backup as `pgwarden pitr list` shows it: what it holds and how far recovery from it reaches. */
export interface ListedBaseBackup {
  backupId: string;
  startedAt: string;
  /** Complete (its WAL archived) from here: the earliest time a restore from it can reach. */
  finishedAt: string;
  timeline: number;
  startLsn: string;
  stopLsn: string;
  /** Every object's together (with other tablespaces: theirs too). */
  storedBytes: number;
  /** Tablespaces besides the main one it holds (absent: none). */
  tablespaces?: number;
  /** The base backup it is incremental on (absent: a full one); restoring it reads its whole chain. */
  incrementalOn?: string;
  compression: string;
  serverVersion: string;
  reason: string;
  /** The newest point its recovery reaches along the newest timeline in completed segments. */
  reachesLsn: string;
  /** The segment a gap begins with when one stops its recovery short of the archive's end; null otherwise. */
  firstMissing: string | null;
  /** Its latest verification (verify, the weekly schedule); null when never verified. */
  verification: BaseVerificationSummary | null;
}

export interface BaseVerificationSummary {
  status: 'passed' | 'failed';
  verifiedAt: string;
  failures: string[];
}

/** The base backups newest first, each with how far recovery from it reaches and its latest verification. */
export function listedBaseBackups(
  bases: BaseBackupManifest[],
  wal: { segments: Iterable<string>; histories: Map<number, TimelineSwitch[]> },
  verifications: ReadonlyMap<string, BaseVerificationSummary> = new Map(),
): ListedBaseBackup[] {
  const newestFirst = byFinish(bases).reverse();
  if (!newestFirst.length) return [];
  const from = reachFrom(newestFirst.at(-1)!, wal);
  return newestFirst.map((b) => {
    const c = from(b);
    return {
      backupId: b.backupId,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
      timeline: b.start.timeline,
      startLsn: b.start.lsn,
      stopLsn: b.stop.lsn,
      storedBytes: baseBackupStoredBytes(b),
      ...(b.tablespaces?.length ? { tablespaces: b.tablespaces.length } : {}),
      ...(b.incremental ? { incrementalOn: b.incremental.parent } : {}),
      compression: b.compression.algorithm,
      serverVersion: b.serverInfo.version,
      reason: b.reason,
      reachesLsn: formatLsn(c.reachableUntil),
      firstMissing: c.firstMissing ?? null,
      verification: verifications.get(b.backupId) ?? null,
    };
  });
}

/** Incremental base backups that rest on one no longer stored, one problem line each: nothing restores from them. */
export function brokenChainProblems(server: string, bases: BaseBackupManifest[]): string[] {
  return chainGaps(bases)
    .filter((g) => g.missing.length)
    .map(
      (g) =>
        `incremental base backup ${g.base.backupId} of ${server} rests on ${g.missing.join(', ')}, which is no longer stored: nothing can be restored from it, and restores pass over it; take a new base backup (pgwarden basebackup), and cleanup removes this one in its turn`,
    );
}

/** Base backups whose latest verification failed, one problem line each: restores pass over them. */
export function failedVerificationProblems(bases: ListedBaseBackup[]): string[] {
  return bases
    .filter((b) => b.verification?.status === 'failed')
    .map(
      (b) =>
        `base backup ${b.backupId} FAILED its verification on ${b.verification!.verifiedAt.slice(0, 10)} (${b.verification!.failures.join(' | ')}): point-in-time restores start from an older one while it stays failed; take a new one (pgwarden basebackup), or verify it again once mended (pgwarden verify --base ${b.backupId})`,
    );
}

/** What a restore can reach, as the console and a restore test offer it; or why nothing can be. */
export type RecoverableWindow = { from: string; to: string } | { unavailable: string };

/** The window from the oldest base backup whose WAL reaches the end to when the newest WAL was stored. */
export function recoverableWindow(
  server: string,
  window: PitrStatus['window'],
  newestStoredAt: number | null,
): RecoverableWindow {
  if (!window) return { unavailable: `no base backup of ${server} exists yet (pgwarden basebackup)` };
  if (newestStoredAt === null) return { unavailable: `no WAL of ${server} is archived yet` };
  return { from: window.from, to: new Date(newestStoredAt).toISOString() };
}

export const notArchived = (server: string): RecoverableWindow => ({ unavailable: `${server} is not in WAL_ARCHIVE` });
