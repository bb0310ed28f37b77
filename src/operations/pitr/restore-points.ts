/**
 * Restore points recorded by pgwarden (`pgwarden pitr mark NAME`): PostgreSQL keeps a restore
 * point only as a WAL record, so recovery to a name finds it only if it starts before it. The
 * record says where the point is, so a restore to it starts from a base backup before it and is
 * refused at once when none is, instead of replaying the WAL to its end and failing hours in.
 */
import { parseStoredRecord } from '../../infra/storage/stored-record';
import { newestBaseBackup } from './base-backup';

export const RESTORE_POINT_KIND = 'pgwarden.restore-point';
export const RESTORE_POINT_FORMAT_VERSION = 1;

export interface RestorePointRecord {
  kind: typeof RESTORE_POINT_KIND;
  formatVersion: number;
  server: string;
  name: string;
  /** What pg_create_restore_point() returned: the end of the point's WAL record. */
  lsn: string;
  timeline: number;
  /** The server's clock when the point was made. */
  createdAt: string;
  /** The cluster it was made on (pg_control_system()). */
  systemIdentifier: string;
  workflow: { id: string; runId: string };
}

/** A recorded point as listed: where a restore to it would start, or why none can reach it. */
export interface ListedRestorePoint {
  name: string;
  lsn: string;
  createdAt: string;
  /** The base backup a restore to it starts from; null when none can (see `unreachable`). */
  fromBaseBackup: string | null;
  /** Why no base backup can start a restore to it, in a few words. */
  unreachable?: string;
}

/** PostgreSQL's limit for a restore point's name (MAXFNAMELEN - 1), in bytes. */
const MAX_NAME_BYTES = 63;

/**
 * A string's length in UTF-8, counted by hand: workflow code checks names too (the incident's
 * selection), and the workflow sandbox has no Buffer. A lone surrogate counts 3, as Buffer's.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** What is wrong with a restore point's name, before anything is asked of the server. */
export function restorePointNameProblem(name: string): string | undefined {
  if (!name.trim()) return 'the restore point name is empty';
  const bytes = utf8Length(name);
  if (bytes > MAX_NAME_BYTES)
    return `the restore point name is ${bytes} bytes long; PostgreSQL keeps at most ${MAX_NAME_BYTES}: choose a shorter one`;
  return undefined;
}

/**
 * Why a recorded point cannot place a restore among these base backups: made on another cluster
 * (the server was replaced or upgraded, its old records kept), so its LSN means nothing here.
 */
export function otherClusterPoint(
  point: Pick<RestorePointRecord, 'name' | 'systemIdentifier'>,
  bases: Array<{ finishedAt: string; serverInfo: { systemIdentifier?: string } }>,
): string | undefined {
  const newest = newestBaseBackup(bases)?.serverInfo.systemIdentifier;
  if (!newest || !point.systemIdentifier || newest === point.systemIdentifier) return undefined;
  return `restore point "${point.name}" was made on database system ${point.systemIdentifier}, but the newest base backup is of database system ${newest} (a replaced or upgraded server): move the old cluster's restore-points/ aside, or restore to the point's time (--to)`;
}

export function parseRestorePoint(text: string, key: string): RestorePointRecord {
  return parseStoredRecord<RestorePointRecord>(text, key, {
    what: 'restore point record',
    kindName: 'a pgwarden restore point record',
    kind: RESTORE_POINT_KIND,
    versions: [RESTORE_POINT_FORMAT_VERSION],
    required: ['name', 'lsn', 'createdAt'],
  });
}
