/**
 * Is every WAL segment a recovery needs in the archive? From a base backup's start to the
 * newest segment stored, on the way to one timeline (following its history), the segments
 * expected and the first one missing. Pure: the names stored in, the verdict out.
 */
import {
  DEFAULT_WAL_SEGMENT_BYTES,
  formatLsn,
  parseSegmentName,
  segmentEnd,
  segmentName,
  segmentOf,
  timelineOfSegment,
  TimelineSwitch,
} from './wal-names';

export interface ContinuityInput {
  /** Where recovery starts: a base backup's start LSN. */
  from: bigint;
  /** The timeline to recover along, and its history (empty for timeline 1). */
  timeline: number;
  history: TimelineSwitch[];
  /** Names of the completed segments in the archive (other names are ignored). */
  stored: Iterable<string>;
  segmentBytes?: number;
}

export interface Continuity {
  /** Segments from `from` to the newest stored one on the way to the timeline, in order. */
  expected: number;
  found: number;
  /** The first segment missing, if any, and how far WAL reaches before it. */
  firstMissing?: string;
  /** Every segment missing, as ranges, for the report ("000000010000000000000005..07"). */
  gaps: string[];
  /** The end of the last segment recovery can read without a gap: its newest reachable point. */
  reachableUntil: bigint;
  /** The newest segment stored on the way to the timeline. */
  newest?: string;
}

export function walContinuity(input: ContinuityInput): Continuity {
  const size = input.segmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES;
  const first = segmentOf(input.from, size);
  const stored = new Set<string>();
  let last = -1n;
  for (const name of input.stored) {
    const s = parseSegmentName(name, size);
    if (!s || s.segno < first) continue;
    // Only files on the path to the timeline count: a timeline that branched off elsewhere does not help.
    if (timelineOfSegment(s.segno, input.timeline, input.history, size) !== s.timeline) continue;
    stored.add(name);
    if (s.segno > last) last = s.segno;
  }
  const gaps: string[] = [];
  let firstMissing: string | undefined;
  let reachableUntil = input.from;
  let gapStart: string | undefined;
  let gapEnd: string | undefined;
  for (let segno = first; segno <= last; segno++) {
    const name = segmentName({ timeline: timelineOfSegment(segno, input.timeline, input.history, size), segno }, size);
    if (stored.has(name)) {
      if (!firstMissing) reachableUntil = segmentEnd(segno, size);
      if (gapStart) gaps.push(range(gapStart, gapEnd!));
      gapStart = undefined;
      continue;
    }
    firstMissing ??= name;
    gapStart ??= name;
    gapEnd = name;
  }
  return {
    expected: last < first ? 0 : Number(last - first + 1n),
    found: stored.size,
    firstMissing,
    gaps,
    reachableUntil,
    newest: last < first ? undefined : [...stored].sort().at(-1),
  };
}

/** "A..B" for a run of missing segments, shortened to the digits that change. */
function range(a: string, b: string): string {
  if (a === b) return a;
  let common = 0;
  while (common < a.length && a[common] === b[common]) common++;
  return `${a}..${b.slice(Math.min(common, 22))}`;
}

/** The one line a restore refuses a gap with, naming the segment and the latest point it can reach. */
export function gapMessage(c: Continuity): string | undefined {
  if (!c.firstMissing) return undefined;
  return `WAL segment ${c.firstMissing} is missing from the archive, so recovery cannot pass ${formatLsn(c.reachableUntil)}; restore to a point before it (--to-lsn ${formatLsn(c.reachableUntil)}) or from a newer base backup`;
}
