/**
 * When the archiver ships the WAL segment being written (its `.partial` copy), as a plain
 * function. Every WAL_PARTIAL_UPLOAD_SECONDS at the latest once anything new is written; sooner,
 * once a second at most, while WAL_PARTIAL_UPLOAD_KB or more are written and not yet in S3: a
 * busy server (many commits at stake) gets its open segment shipped every second, a quiet one
 * costs one upload per interval, not one per second. And how far the archive reaches with a copy.
 */

import { segmentEnd, segmentStart } from './wal-names';

/** The shortest time between two copies of the open segment, however busy the server. */
export const PARTIAL_MIN_MS = 1000;

export interface PartialCadence {
  /** Since the open segment was last shipped (a large number before its first copy). */
  sinceShippedMs: number;
  /** pg_receivewal wrote to it since that copy. */
  changed: boolean;
  /** WAL received but not in S3 yet (received position minus the archive's), when known. */
  unshippedBytes: bigint | undefined;
  /** WAL_PARTIAL_UPLOAD_SECONDS. */
  everySeconds: number;
  /** WAL_PARTIAL_UPLOAD_KB in bytes; 0 ships on the interval alone. */
  soonerAtBytes: number;
}

export function partialCopyDue(c: PartialCadence): boolean {
  if (!c.changed) return false;
  if (c.sinceShippedMs >= c.everySeconds * 1000) return true;
  return (
    c.soonerAtBytes > 0 &&
    c.sinceShippedMs >= PARTIAL_MIN_MS &&
    c.unshippedBytes !== undefined &&
    c.unshippedBytes >= BigInt(c.soonerAtBytes)
  );
}

/** Whether the received position is worth asking for now: only when a sooner copy could be due. */
export function busyCheckWorthwhile(c: Omit<PartialCadence, 'unshippedBytes'>): boolean {
  return c.changed && c.soonerAtBytes > 0 && c.sinceShippedMs >= PARTIAL_MIN_MS && c.sinceShippedMs < c.everySeconds * 1000;
}

/**
 * What a stored copy of the open segment `segno` says, and how far the archive reaches with it.
 * pg_receivewal's reported write position (pg_stat_replication) trails it by up to a status
 * interval, and may already lie in the next segment when the copy was read just before the file
 * was completed: the copy's position is held within its own segment, and the archive's reach
 * never moves back behind what it held (a completed segment's end, read before a stale report).
 */
export function openCopyReach(r: { held: bigint; written: bigint; segno: bigint; segmentBytes: number }): {
  written: bigint;
  reach: bigint;
} {
  const start = segmentStart(r.segno, r.segmentBytes);
  const end = segmentEnd(r.segno, r.segmentBytes);
  const written = r.written < start ? start : r.written > end ? end : r.written;
  return { written, reach: written > r.held ? written : r.held };
}
