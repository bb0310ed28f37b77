/**
 * Which database cluster a WAL segment came from. initdb gives each cluster a random 64-bit
 * system identifier, and PostgreSQL writes it into the long header of every segment's first
 * page: xlp_magic, xlp_info, xlp_tli, xlp_pageaddr, xlp_rem_len (24 bytes with padding), then
 * xlp_sysid, xlp_seg_size and xlp_xlog_blcksz. WAL of two clusters can never be replayed one
 * after the other, so one archive holds one cluster's WAL. Plain functions.
 */

/** Metadata key of the system identifier of the cluster an archived segment came from. */
export const WAL_SYSTEM_ID = 'pgwarden-wal-system-id';

/** What to do when a server's WAL cannot continue the archive kept under its id. */
export const ANOTHER_ARCHIVE =
  "archive it under an id of its own (DATABASE_URL_<ID> and WAL_ARCHIVE), or move this server's wal/, basebackups/ and restore-points/ folders in the bucket aside, then start archiving and take a base backup";

/** Why a server of cluster `server` cannot use the archive of cluster `archive`, or undefined when it can (or either is unknown). */
export function otherClusterProblem(archive: string | undefined, server: string | undefined): string | undefined {
  if (!archive || !server || archive === server) return undefined;
  return `the archive holds the WAL of database system ${archive} but the server is database system ${server}, so it is another cluster (a new one after a disaster or a pg_upgrade, or another server given this id) and its WAL cannot continue this archive; ${ANOTHER_ARCHIVE}`;
}

/** The bytes of a segment that name its cluster. */
export const SEGMENT_HEADER_BYTES = 40;

/** xlp_info flag of a long page header (the first page of each segment). */
const XLP_LONG_HEADER = 0x0002;

/**
 * The system identifier (decimal, as pg_control_system() shows it) in the first bytes of a
 * segment of `segmentBytes`, or undefined when they do not start one (nothing written yet, or
 * not a segment). WAL is written in the server's byte order; PostgreSQL runs little-endian on
 * the machines pgwarden supports (x86-64, arm64). Elsewhere the segment size does not read
 * right, so nothing is read: a check skipped, never a wrong refusal.
 */
export function segmentSystemIdentifier(firstBytes: Buffer, segmentBytes: number): string | undefined {
  if (firstBytes.length < SEGMENT_HEADER_BYTES) return undefined;
  if (!(firstBytes.readUInt16LE(2) & XLP_LONG_HEADER)) return undefined;
  if (firstBytes.readUInt32LE(32) !== segmentBytes) return undefined;
  const id = firstBytes.readBigUInt64LE(24);
  return id === 0n ? undefined : id.toString();
}
