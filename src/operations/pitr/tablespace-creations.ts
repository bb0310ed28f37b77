/**
 * Tablespaces created in WAL, read from `pg_waldump --rmgr=Tablespace`: recovery replays each
 * at the server's location, so a restore must know of them before it reads their segment. Pure.
 */
import { parseLsn, parseSegmentName, segmentStart } from './wal-names';

export interface TablespaceCreation {
  oid: number;
  location: string;
  lsn: string;
}

/** `rmgr: Tablespace ... lsn: 0/07000398, prev 0/070002D8, desc: CREATE 16395 "/srv/pg/archive"` */
const CREATE = /\blsn: ([0-9A-F]+\/[0-9A-F]+),.*\bdesc: CREATE (\d+) "(.*)"\s*$/;

export function tablespaceCreations(waldumpOutput: string): TablespaceCreation[] {
  const out: TablespaceCreation[] = [];
  for (const line of waldumpOutput.split('\n')) {
    const m = CREATE.exec(line);
    if (m) out.push({ lsn: m[1], oid: Number(m[2]), location: m[3] });
  }
  return out;
}

/** Those a recovery from a base backup would replay that the base backup does not hold: made at or after its start. */
export function createdSince(
  creations: TablespaceCreation[],
  base: { start: { lsn: string }; tablespaces?: Array<{ oid: number }> },
): TablespaceCreation[] {
  const known = new Set((base.tablespaces ?? []).map((t) => t.oid));
  return creations.filter((c) => parseLsn(c.lsn) >= parseLsn(base.start.lsn) && !known.has(c.oid));
}

/**
 * What to do about a creation found in a segment recovery is about to read, on a host where its
 * folder exists: refuse when there is no target (cutting the WAL would promote an earlier state
 * without a word) or the copy needs the record to be consistent (before the base backup's
 * stop); otherwise zero the segment from the record's start (from the segment's start when the
 * record began in the segment before), so recovery ends just before it.
 */
export function walCutAt(input: {
  creationLsn: string;
  segment: string;
  segmentBytes: number;
  baseStopLsn: string;
  hasTarget: boolean;
}): { refuse: true } | { refuse: false; zeroFrom: number } {
  const at = parseLsn(input.creationLsn);
  if (!input.hasTarget || at < parseLsn(input.baseStopLsn)) return { refuse: true };
  const start = segmentStart(parseSegmentName(input.segment, input.segmentBytes)!.segno, input.segmentBytes);
  return { refuse: false, zeroFrom: at > start ? Number(at - start) : 0 };
}
