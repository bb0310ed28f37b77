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
import {
  formatLsn,
  parseLsn,
  parseSegmentName,
  segmentEnd,
  segmentName,
  segmentOf,
  segmentStart,
  TimelineSwitch,
} from './wal-names';

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
 * A pass reading every archived segment again: the read-back reads each segment once, so bit
 * rot in one read long ago would otherwise be found only by the restore that needs it.
 */
export interface WalReread {
  /** When it began: every segment it reads, and every one the read-back reads since, is read after this. */
  startedAt: string;
  /** Per timeline, the newest segment read back when it began: it reads everything up to there. */
  until: WalCheckedUpTo;
  /** Per timeline, how far it got. */
  upTo: WalCheckedUpTo;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a run reads the archive again: a pass under way goes on; otherwise one begins when the
 * last complete pass began `everyDays` or more ago, or never did (0: never read again).
 */
export function rereadDue(input: { everyDays: number; lastFullPassAt?: string; underWay: boolean; now: number }): boolean {
  if (input.everyDays <= 0) return false;
  if (input.underWay || !input.lastFullPassAt) return true;
  return input.now - Date.parse(input.lastFullPassAt) >= input.everyDays * DAY_MS;
}

/**
 * What a pass reads next: the segments read back before it began, past where it got, in the
 * same batches as the read-back (so each batch is led by the segment before it). Segments in
 * the failed list are read first by every run anyway, and lead nothing.
 */
export function walRereadPlan(input: {
  segments: Iterable<string>;
  histories: Map<number, TimelineSwitch[]>;
  reread: WalReread;
  failed: string[];
  segmentBytes: number;
  batchSize: number;
  budget: number;
}): WalCheckPlan {
  const failed = new Set(input.failed);
  const within = [...input.segments].filter((name) => {
    const s = parseSegmentName(name, input.segmentBytes);
    const until = s && input.reread.until[String(s.timeline)];
    const last = until ? parseSegmentName(until, input.segmentBytes)?.segno : undefined;
    return !failed.has(name) && last !== undefined && s!.segno <= last;
  });
  return walCheckPlan({
    segments: within,
    histories: input.histories,
    checked: input.reread.upTo,
    segmentBytes: input.segmentBytes,
    batchSize: input.batchSize,
    budget: input.budget,
  });
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
  const fileEnd = segmentEnd(last.segno, segmentBytes);
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
  /** The pass reading the archive again, when this run took part in one (VERIFY_WAL_REREAD_DAYS). */
  reread?: {
    startedAt: string;
    /** Segments it read this run. */
    segments: number;
    /** Segments it has left for later runs; 0: the pass is complete. */
    left: number;
  };
  failures: string[];
  durationMs: number;
  /** Where durationMs went: fetching (S3, decryption, SHA-256, to disk) and pg_waldump reading the records (absent from older workers). */
  phases?: { fetchMs: number; readMs: number };
}

/** What pitr list shows of the read-back: the newest segment read (null: never), when, and what is left. */
export interface WalReadBack {
  upTo: string | null;
  checkedAt: string | null;
  /** Segments that failed their read-back and have not passed one since. */
  failed: string[];
  /** Completed segments in the archive not read back yet. */
  pending: number;
  /** When the newest complete pass reading the archive again began: every segment was read since (null: none yet). */
  lastFullPassAt?: string | null;
  /** A pass reading the archive again, under way: when it began and how many segments it has left. */
  reread?: { startedAt: string; left: number } | null;
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
  const again = v.reread
    ? `; ${v.reread.segments} archived earlier read again by the pass begun ${v.reread.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${v.reread.left ? `${v.reread.left} left for later runs` : 'which is complete'}`
    : '';
  return `WAL contents: ${v.status === 'passed' ? 'PASSED' : 'FAILED'} (${what}${later}${again})`;
}
