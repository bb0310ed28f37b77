/**
 * The archiver's decisions, as plain functions: where streaming starts, so that nothing
 * between the archive and the server's replication slot is skipped, and which files in
 * pg_receivewal's folder are ready to ship, in the order recovery needs them.
 */
import {
  parseHistoryFileName,
  parseSegmentName,
  formatLsn,
  Segment,
  segmentName,
  segmentOf,
  segmentStart,
  TimelineSwitch,
} from './wal-names';
import { ANOTHER_ARCHIVE, otherClusterProblem } from './system-identifier';

export interface SpoolFile {
  name: string;
  size: number;
}

/**
 * Completed files to ship, oldest first, a timeline's history before its segments; and the
 * segment being written (`.partial`), if any. A segment file shorter than a segment is still
 * being renamed into place or broken: it waits.
 */
export function readyFiles(files: SpoolFile[], segmentBytes: number): { ready: string[]; partial?: string } {
  const histories = files
    .filter((f) => parseHistoryFileName(f.name) !== undefined)
    .map((f) => f.name)
    .sort();
  const segments = files
    .filter((f) => f.size === segmentBytes && parseSegmentName(f.name, segmentBytes))
    .map((f) => f.name)
    .sort((a, b) => {
      const [x, y] = [parseSegmentName(a, segmentBytes)!, parseSegmentName(b, segmentBytes)!];
      return x.segno === y.segno ? x.timeline - y.timeline : x.segno < y.segno ? -1 : 1;
    });
  const partial = files
    .map((f) => f.name)
    .filter((n) => n.endsWith('.partial') && parseSegmentName(n.slice(0, -'.partial'.length), segmentBytes))
    .sort()
    .at(-1);
  return { ready: [...histories, ...segments], ...(partial ? { partial } : {}) };
}

export type StreamStart = { start: Segment } | { gap: string } | { notThisServer: string };

/**
 * Where pg_receivewal starts: right after the newest segment in the archive, or, with an empty
 * archive, where the replication slot holds WAL from. The slot is only ever advanced past
 * what the archive holds, so it is never ahead of the archive unless someone moved or
 * recreated it: that is a gap, said with its bounds, never skipped silently.
 *
 * A slot this round had to create (a standby promoted after a failover, where the old primary's
 * slot did not follow) says nothing about what the server still has: streaming starts after
 * the archive all the same, and the server refuses it if that WAL is gone (named as a gap). On
 * a new timeline the server streams the old one up to where it forked, then the new one.
 */
export function streamStart(input: {
  newestArchived?: Segment;
  slotRestartLsn: bigint;
  /** The slot was missing and has just been created. */
  slotCreated?: boolean;
  /**
   * An operator accepted the gap a lost slot left (wal start --accept-gap): archiving goes on
   * from what the slot holds, and a new base backup starts a new recoverable window.
   */
  acceptGap?: boolean;
  serverTimeline: number;
  /** The server's timeline history (empty on timeline 1). */
  serverHistory?: TimelineSwitch[];
  /**
   * Where the server's WAL ends now. An archive that goes further on the server's timeline (or
   * on a later one) is not this server's history: a new cluster, or one put back from a backup.
   */
  serverLsn?: bigint;
  /** The cluster the archive's newest segment (or open segment's copy) came from; unknown for an empty archive. */
  archiveSystem?: string;
  /** The server's cluster (pg_control_system()). */
  serverSystem?: string;
  segmentBytes: number;
}): StreamStart {
  const slotSegment = segmentOf(input.slotRestartLsn, input.segmentBytes);
  // Also for an archive holding only an open segment's copy so far.
  const otherCluster = otherClusterProblem(input.archiveSystem, input.serverSystem);
  if (otherCluster) return { notThisServer: otherCluster };
  if (!input.newestArchived) return { start: { timeline: input.serverTimeline, segno: slotSegment } };
  let next = { timeline: input.newestArchived.timeline, segno: input.newestArchived.segno + 1n };
  // The archive's timeline ended on this server where the next one forked: if the archive already
  // holds that segment (or more) of the old timeline, the rest of the old one is not this server's
  // history (WAL a failover lost), and archiving goes on from the fork on the server's timeline.
  if (next.timeline < input.serverTimeline) {
    const history = input.serverHistory ?? [];
    const fork = history.find((h) => h.parent === next.timeline);
    if (fork) {
      const forkSegment = segmentOf(fork.switchpoint, input.segmentBytes);
      const after = history.find((h) => h.parent > next.timeline)?.parent ?? input.serverTimeline;
      if (next.segno > forkSegment) next = { timeline: after, segno: forkSegment };
    }
  }
  const size = input.segmentBytes;
  if (
    input.serverLsn !== undefined &&
    (next.timeline > input.serverTimeline ||
      (next.timeline === input.serverTimeline && segmentStart(next.segno, size) > input.serverLsn))
  )
    return {
      notThisServer: `the archive goes on to ${segmentName(input.newestArchived, size)} but the server's WAL ends at ${formatLsn(input.serverLsn)} on timeline ${input.serverTimeline}, so it is not the server archived so far (a new cluster, or one put back from a backup or a snapshot) and its WAL cannot continue this archive; ${ANOTHER_ARCHIVE}`,
    };
  if (slotSegment > next.segno && input.acceptGap) return { start: { timeline: input.serverTimeline, segno: slotSegment } };
  if (slotSegment > next.segno && !input.slotCreated)
    return {
      gap: `the archive ends before ${segmentName(next, input.segmentBytes)} but the replication slot only holds WAL from ${formatLsn(input.slotRestartLsn)}: WAL from ${formatLsn(segmentStart(next.segno, input.segmentBytes))} to there is lost (was the slot dropped or advanced by hand?); ${AFTER_A_GAP}`,
    };
  return { start: next };
}

/** What to do once the archive has a gap: go on past it, then make a recoverable window after it. */
export const AFTER_A_GAP =
  'go on archiving past the gap (pgwarden wal start --accept-gap), then take a new base backup (pgwarden basebackup) to start a new recoverable window';

/** PostgreSQL replication slot names: lower-case letters, digits and underscores, at most 63. */
export function slotNameFor(server: string): string {
  return `pgwarden_${server.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}
