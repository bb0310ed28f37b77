/**
 * Verification of a base backup, as plain decisions: what was counted at backup time, when
 * those counts can be compared with a recovered copy, and the outcome in one record.
 *
 * A base backup is not a snapshot, so its row counts are taken beside it: in one
 * repeatable-read transaction whose first statement reads both the snapshot and the WAL insert
 * position P. Recovery to just before P (the records that start before it) replays exactly the
 * transactions that committed before P; the
 * snapshot sees exactly those that had finished when it was taken. The two sets differ only
 * by transactions that committed within the instant between them, and the recovered instance
 * can tell which those are (txid_status): when none did, the counts must match exactly;
 * otherwise the comparison is skipped and says why, rather than reporting a false alarm.
 */
import type { TableCount } from '../../infra/postgres/tables';
import { compareRowCounts, describeDifference, TableDifference } from '../verify/verification';
import { parseStoredRecord } from '../../infra/storage/stored-record';

/** Recorded in the base backup's manifest. */
export interface BaseBackupRowCounts {
  /** The database counted: the one pgwarden knows the server by. */
  database: string;
  /** txid_current_snapshot() of the counting transaction, as text (xmin:xmax:xip,...). */
  snapshot: string;
  /** The WAL insert position read with the snapshot: recovery to it is comparable. */
  lsn: string;
  tables: TableCount[];
}

/** The transactions a snapshot does not see as finished: its in-progress list and everything from xmax on. */
export function snapshotParts(snapshot: string): { xmax: bigint; xip: bigint[] } {
  const m = /^(\d+):(\d+):([\d,]*)$/.exec(snapshot.trim());
  if (!m) throw new Error(`not a transaction snapshot: "${snapshot}"`);
  return { xmax: BigInt(m[2]), xip: m[3] ? m[3].split(',').map((x) => BigInt(x)) : [] };
}

export interface CountComparison {
  compared: boolean;
  tables: number;
  differences: TableDifference[];
  /** Why the counts were not compared. */
  skipped?: string;
}

/** Exact when no transaction unseen by the snapshot committed before the recovery point. */
export function compareBaseCounts(
  recorded: BaseBackupRowCounts | undefined,
  actual: TableCount[],
  committedUnseen: number,
): CountComparison {
  if (!recorded)
    return { compared: false, tables: actual.length, differences: [], skipped: 'no counts were recorded with this base backup' };
  if (committedUnseen > 0)
    return {
      compared: false,
      tables: actual.length,
      differences: [],
      skipped: `${committedUnseen} transaction(s) committed in the instant the counts were taken, so they do not match one point in WAL`,
    };
  return { compared: true, tables: recorded.tables.length, differences: compareRowCounts(recorded.tables, actual) };
}

export interface BaseBackupVerification {
  server: string;
  backupId: string;
  status: 'passed' | 'failed';
  failures: string[];
  /** pg_verifybackup on the unpacked copy and its WAL: every file's checksum and the WAL it needs. */
  verifyBackup: { ok: boolean; detail: string };
  /** Recovery of a temporary instance to the counting point (or to consistency). */
  recovery: { ok: boolean; detail: string; seconds: number | null; lsn: string | null };
  rowCounts: CountComparison;
  durationMs: number;
}

export const BASE_VERIFICATION_KIND = 'pgwarden.basebackup-verification';
export const BASE_VERIFICATION_FORMAT_VERSION = 1;

/** The latest verification of a base backup, as stored beside it (docs/FORMAT.md, section 8). */
export interface StoredBaseVerification extends BaseBackupVerification {
  kind: typeof BASE_VERIFICATION_KIND;
  formatVersion: number;
  verifiedAt: string;
  workflow: { id: string };
}

export function storedBaseVerification(v: BaseBackupVerification, verifiedAt: Date, workflowId: string): StoredBaseVerification {
  return {
    kind: BASE_VERIFICATION_KIND,
    formatVersion: BASE_VERIFICATION_FORMAT_VERSION,
    ...v,
    verifiedAt: verifiedAt.toISOString(),
    workflow: { id: workflowId },
  };
}

export function parseBaseVerification(text: string, key: string): StoredBaseVerification {
  return parseStoredRecord<StoredBaseVerification>(text, key, {
    what: 'base backup verification',
    kindName: 'a pgwarden base backup verification',
    kind: BASE_VERIFICATION_KIND,
    versions: [BASE_VERIFICATION_FORMAT_VERSION],
    required: ['backupId', 'status', 'verifiedAt'],
  });
}

export function baseVerificationFailures(v: Pick<BaseBackupVerification, 'verifyBackup' | 'recovery' | 'rowCounts'>): string[] {
  const out: string[] = [];
  if (!v.verifyBackup.ok) out.push(`pg_verifybackup: ${v.verifyBackup.detail}`);
  if (!v.recovery.ok) out.push(`recovery: ${v.recovery.detail}`);
  if (v.rowCounts.differences.length)
    out.push(
      `row counts differ in ${v.rowCounts.differences.length} table(s): ${v.rowCounts.differences.map(describeDifference).join('; ')}`,
    );
  return out;
}

/** One line for the CLI and the notice. */
export function describeBaseVerification(v: BaseBackupVerification): string {
  if (v.status === 'failed') return `base backup ${v.backupId}: FAILED: ${v.failures.join(' | ')}`;
  const counts = v.rowCounts.compared
    ? `row counts of ${v.rowCounts.tables} table(s) match`
    : `row counts not compared (${v.rowCounts.skipped})`;
  return `base backup ${v.backupId}: PASSED (pg_verifybackup, recovery to ${v.recovery.lsn} in ${v.recovery.seconds?.toFixed(1)} s, ${counts})`;
}

/**
 * The base backups `verify --all-unverified` checks before the newest (which every verify
 * checks): those never verified, oldest first, as the dumps' never-verified ones are.
 */
export function neverVerifiedBefore(ids: string[], verified: ReadonlySet<string>, newest: string): string[] {
  return ids.filter((id) => id !== newest && !verified.has(id)).sort();
}
