/**
 * When the archiver ships the WAL segment being written (its `.partial` copy), as a plain
 * function. Every WAL_PARTIAL_UPLOAD_SECONDS at the latest once anything new is written; sooner,
 * once a second at most, while WAL_PARTIAL_UPLOAD_KB or more are written and not yet in S3: a
 * busy server (many commits at stake) gets its open segment shipped every second, a quiet one
 * costs one upload per interval, not one per second.
 */

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
