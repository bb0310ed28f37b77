/**
 * PostgreSQL's WAL coordinates, as plain functions: log sequence numbers ("16/B374D848"),
 * segment file names (timeline, then the segment number split in two 8-digit hex halves) and
 * timeline history files. Segment numbers and LSNs are bigints: a cluster's LSN outgrows 2^53.
 */

/** The segment size of a default cluster (initdb --wal-segsize changes it; the server reports its own). */
export const DEFAULT_WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

const SEGMENT_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const HISTORY_NAME = /^([0-9A-F]{8})\.history$/;

export interface Segment {
  timeline: number;
  /** Segment number: LSN / segment size. */
  segno: bigint;
}

/** "16/B374D848" as a number of bytes. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a log sequence number (like 16/B374D848)`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** Page headers: the first page of a segment has a long one (40 bytes), the others a short one (24). */
const LONG_PAGE_HEADER = 40n;
const SHORT_PAGE_HEADER = 24n;

/**
 * The WAL position every record before the insert position ends by. The insert position of
 * an idle server sits just past the header of a page nothing was written on yet (always so
 * right after a segment switch, as a backup's end makes): that header is only written with
 * the next record, so the flush position stops at the page's start until then, and waiting
 * for it to reach the insert position would wait for activity that may never come.
 */
export function recordsEndBefore(insertLsn: bigint, blockBytes: number, segmentBytes: number): bigint {
  const inPage = insertLsn % BigInt(blockBytes);
  const pageStart = insertLsn - inPage;
  const header = pageStart % BigInt(segmentBytes) === 0n ? LONG_PAGE_HEADER : SHORT_PAGE_HEADER;
  return inPage === header ? pageStart : insertLsn;
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

const hex8 = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0');
const segmentsPerId = (segmentBytes: number) => 0x100000000n / BigInt(segmentBytes);

/** The segment that holds the byte at `lsn`. */
export function segmentOf(lsn: bigint, segmentBytes = DEFAULT_WAL_SEGMENT_BYTES): bigint {
  return lsn / BigInt(segmentBytes);
}

/** The first byte of a segment. */
export function segmentStart(segno: bigint, segmentBytes = DEFAULT_WAL_SEGMENT_BYTES): bigint {
  return segno * BigInt(segmentBytes);
}

/** The position just past a segment's last byte: where the next one starts, and how far WAL held up to it reaches. */
export function segmentEnd(segno: bigint, segmentBytes = DEFAULT_WAL_SEGMENT_BYTES): bigint {
  return segmentStart(segno + 1n, segmentBytes);
}

/** The file name PostgreSQL gives a segment: 000000010000000000000003. */
export function segmentName(s: Segment, segmentBytes = DEFAULT_WAL_SEGMENT_BYTES): string {
  const per = segmentsPerId(segmentBytes);
  return `${hex8(s.timeline)}${hex8(s.segno / per)}${hex8(s.segno % per)}`;
}

/** Whether `name` is a segment file's name, whatever the cluster's segment size (which bounds its last eight digits). */
export const isSegmentName = (name: string) => SEGMENT_NAME.test(name);

/** A segment file's name read back, or undefined for anything else (.partial, .history, .backup). */
export function parseSegmentName(name: string, segmentBytes = DEFAULT_WAL_SEGMENT_BYTES): Segment | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  const low = BigInt(`0x${m[3]}`);
  const per = segmentsPerId(segmentBytes);
  if (low >= per) return undefined;
  return { timeline: Number.parseInt(m[1], 16), segno: BigInt(`0x${m[2]}`) * per + low };
}

/** The furthest of some segment names (by position, then timeline); other names are passed over. */
export function newestSegment(
  names: Iterable<string>,
  segmentBytes = DEFAULT_WAL_SEGMENT_BYTES,
): { name: string; segment: Segment } | undefined {
  let newest: { name: string; segment: Segment } | undefined;
  for (const name of names) {
    const s = parseSegmentName(name, segmentBytes);
    if (
      s &&
      (!newest || s.segno > newest.segment.segno || (s.segno === newest.segment.segno && s.timeline > newest.segment.timeline))
    )
      newest = { name, segment: s };
  }
  return newest;
}

export const historyFileName = (timeline: number) => `${hex8(timeline)}.history`;

export function parseHistoryFileName(name: string): number | undefined {
  const m = HISTORY_NAME.exec(name);
  return m ? Number.parseInt(m[1], 16) : undefined;
}

/** One line of a timeline history file: `parent` ran until `switchpoint`, where the next began. */
export interface TimelineSwitch {
  parent: number;
  switchpoint: bigint;
}

/**
 * A `.history` file's contents: the timelines before this one, oldest first. Comment and
 * blank lines are skipped, as PostgreSQL does.
 */
export function parseHistory(text: string): TimelineSwitch[] {
  const out: TimelineSwitch[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [parent, switchpoint] = line.split(/\s+/);
    if (!/^\d+$/.test(parent ?? '')) throw new Error(`timeline history line "${line}" does not start with a timeline number`);
    out.push({ parent: Number(parent), switchpoint: parseLsn(switchpoint ?? '') });
  }
  return out;
}

/** The timeline whose file holds segment `segno` on the way to `timeline` (as recovery chooses it). */
export function timelineOfSegment(
  segno: bigint,
  timeline: number,
  history: TimelineSwitch[],
  segmentBytes = DEFAULT_WAL_SEGMENT_BYTES,
): number {
  // Timeline history[i].parent ran until history[i].switchpoint; the segment holding a
  // switch point is read from the newer timeline, which begins with a copy of it.
  for (const h of history) if (segno < segmentOf(h.switchpoint, segmentBytes)) return h.parent;
  return timeline;
}
