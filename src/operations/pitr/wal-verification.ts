/**
 * Reading the archived WAL back, as verify does each run for the segments archived since the
 * last: every segment decrypted and its bytes checked against the SHA-256 taken when it was
 * archived, and every record's CRC checked by PostgreSQL's own pg_waldump. A base backup's
 * verification replays only the WAL up to its own end; without this the WAL between base
 * backups is first read by the restore that needs it.
 *
 * Decisions only (which segments, in which batches, what a failure says); the activity does
 * the I/O. Pure.
 */
import { formatLsn, parseLsn, parseSegmentName, segmentName, segmentOf, segmentStart, TimelineSwitch } from './wal-names';

/** What an earlier run read back: per timeline, the newest segment checked (every one before it on that timeline was). */
export type WalCheckedUpTo = Record<string, string>;

export interface WalCheckBatch {
  timeline: number;
  /** Already checked, read again so the records crossing into the first new segment are read whole; null after a gap or at the archive's start. */
  lead: string | null;
  /** New segments, consecutive, in order. */
  segments: string[];
  /** Where pg_waldump starts (the first file's start) and stops (the last file's end, or where the timeline ended). */
  startLsn: string;
  endLsn: string;
}

export interface WalCheckPlan {
  batches: WalCheckBatch[];
  /** New segments left for a later run (past the run's budget). */
  deferred: number;
}

/**
 * The segments not checked yet, in batches of at most `batchSize` consecutive segments of one
 * timeline, at most `budget` in all (oldest first: the next run goes on from there). Segments
 * past the point where their timeline ended (a fork's leftovers) are not read.
 */
export function walCheckPlan(input: {
  segments: Iterable<string>;
  histories: Map<number, TimelineSwitch[]>;
  checked: WalCheckedUpTo;
  segmentBytes: number;
  batchSize: number;
  budget: number;
}): WalCheckPlan {
  const ends = timelineEnds(input.histories);
  const byTimeline = new Map<number, bigint[]>();
  for (const name of input.segments) {
    const s = parseSegmentName(name, input.segmentBytes);
    if (!s) continue;
    const end = ends.get(s.timeline);
    if (end !== undefined && segmentStart(s.segno, input.segmentBytes) >= end) continue;
    byTimeline.set(s.timeline, [...(byTimeline.get(s.timeline) ?? []), s.segno]);
  }
  const batches: WalCheckBatch[] = [];
  let left = input.budget;
  let deferred = 0;
  for (const timeline of [...byTimeline.keys()].sort((a, b) => a - b)) {
    const all = byTimeline.get(timeline)!.sort((a, b) => (a < b ? -1 : 1));
    const present = new Set(all);
    const upTo = input.checked[String(timeline)];
    const checkedSegno = upTo ? (parseSegmentName(upTo, input.segmentBytes)?.segno ?? -1n) : -1n;
    const fresh = all.filter((n) => n > checkedSegno);
    const taken = fresh.slice(0, Math.max(0, left));
    deferred += fresh.length - taken.length;
    left -= taken.length;
    const name = (segno: bigint) => segmentName({ timeline, segno }, input.segmentBytes);
    let batch: bigint[] = [];
    const close = () => {
      if (!batch.length) return;
      const first = batch[0];
      const lead = present.has(first - 1n) ? name(first - 1n) : null;
      const segments = batch.map(name);
      batches.push({ timeline, lead, segments, ...rangeLsns(lead, segments, ends, input.segmentBytes) });
      batch = [];
    };
    for (const segno of taken) {
      if (batch.length && (segno !== batch[batch.length - 1] + 1n || batch.length >= input.batchSize)) close();
      batch.push(segno);
    }
    close();
  }
  return { batches, deferred };
}

/**
 * Where pg_waldump reads consecutive segments of one timeline: from the start of the first file
 * (the lead when there is one) to the end of the last, or to where the timeline ended.
 */
export function rangeLsns(
  lead: string | null,
  segments: string[],
  ends: Map<number, bigint>,
  segmentBytes: number,
): { startLsn: string; endLsn: string } {
  const first = parseSegmentName(lead ?? segments[0], segmentBytes)!;
  const last = parseSegmentName(segments[segments.length - 1], segmentBytes)!;
  const fileEnd = segmentStart(last.segno + 1n, segmentBytes);
  const end = ends.get(last.timeline);
  return {
    startLsn: formatLsn(segmentStart(first.segno, segmentBytes)),
    endLsn: formatLsn(end !== undefined && end < fileEnd ? end : fileEnd),
  };
}

/** Where each timeline that was left ended, from every history the archive holds. */
export function timelineEnds(histories: Map<number, TimelineSwitch[]>): Map<number, bigint> {
  const ends = new Map<number, bigint>();
  for (const history of histories.values()) for (const s of history) ends.set(s.parent, s.switchpoint);
  return ends;
}

/**
 * pg_waldump's complaint, and the segment it puts the broken record in: the segment holding
 * the record's start ("error in WAL record at 0/197A0BD0: ..."), but never one before
 * `firstNew`: a record starting in the lead (read before) and broken further on is the new
 * segment's damage. Without a position, `firstNew` itself.
 */
export function waldumpFailure(stderr: string, firstNew: string, segmentBytes: number): { segment: string; finding: string } {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^pg_waldump: (error: )?/, '').trim())
    .filter(Boolean);
  const line = lines.find((l) => /error in WAL record|invalid|incorrect|could not/.test(l)) ?? lines[0];
  const first = parseSegmentName(firstNew, segmentBytes)!;
  const at = line ? /at ([0-9A-F]+\/[0-9A-F]+)/i.exec(line)?.[1] : undefined;
  const segno = at ? segmentOf(parseLsn(at), segmentBytes) : first.segno;
  const segment = segmentName({ timeline: first.timeline, segno: segno > first.segno ? segno : first.segno }, segmentBytes);
  return { segment, finding: `${segment}: ${line ?? 'pg_waldump failed without saying why'}` };
}

export interface WalVerification {
  server: string;
  status: 'passed' | 'failed';
  /** Segments read back by this run. */
  segments: number;
  bytes: number;
  /** The newest segment checked by this run (null when there was nothing new). */
  upTo: string | null;
  /** New segments left for the next run (past VERIFY_WAL_SEGMENTS). */
  deferred: number;
  failures: string[];
  durationMs: number;
}

/** What pitr list shows of the read-back: the newest segment read (null: never), when, and what is left. */
export interface WalReadBack {
  upTo: string | null;
  checkedAt: string | null;
  /** Segments that failed their read-back and have not passed one since. */
  failed: string[];
  /** Completed segments in the archive not read back yet. */
  pending: number;
}

/** What the daily check alerts on until mended: archived segments that failed their read-back. */
export function walReadBackProblems(server: string, read: WalReadBack): string[] {
  if (!read.failed.length) return [];
  return [
    `${read.failed.length} archived WAL segment(s) of ${server} failed their read-back (${read.failed.join(', ')}): a point-in-time recovery through them stops there; take a new base backup (pgwarden basebackup), look for an intact copy (bucket versioning or replication), and run pgwarden verify again once mended`,
  ];
}

/** One line for the CLI and the notices. */
export function describeWalVerification(v: WalVerification): string {
  const what = v.segments
    ? `${v.segments} segment(s) archived since the last check read back${v.upTo ? ` up to ${v.upTo}` : ''}: decrypted, checksums and every record's CRC`
    : 'no segment archived since the last check';
  const later = v.deferred ? `; ${v.deferred} more left for the next run` : '';
  return `WAL contents: ${v.status === 'passed' ? 'PASSED' : 'FAILED'} (${what}${later})`;
}
