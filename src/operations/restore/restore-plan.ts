/**
 * Pure decisions of a restore: what `--file` names, what the databases involved are called,
 * whether an object needs an archive retrieval, and the recovery-time figures.
 */
import { OBJECTIVES } from '../../infra/config/objectives';
import { formatBytes } from '../backup/progress';
import { parseBackupId } from '../backup/naming';
import { dataFolder } from '../../infra/storage/layout';
import type { RunRef } from './work-files';

export interface RestoreFileRef {
  backupId: string;
  /** Where an old script's file of that name would be; set for .sql.gz.enc names outside data/. */
  legacyKey?: string;
  /** The name was given with a path, so that exact object is meant. */
  explicitPath: boolean;
}

/**
 * `--file` accepts a backup id (backup_20240101_120000), a pgwarden key or file name of one,
 * or an old script's file (backup_20240101_120000.sql.gz.enc), as a key or a bare name under
 * the prefix. Which of those exists is decided against the bucket.
 */
export function parseRestoreFile(file: string, prefix: string): RestoreFileRef | undefined {
  const name = file.slice(file.lastIndexOf('/') + 1);
  const m = /^(backup_\d{8}_\d{6})(\.dump\.enc|\.sql\.gz\.enc|\.json)?$/.exec(name);
  if (!m || !parseBackupId(m[1])) return undefined;
  const explicitPath = file.includes('/');
  const legacyKey =
    m[2] === '.sql.gz.enc' && !file.includes('/data/')
      ? explicitPath
        ? file
        : `${prefix ? `${prefix}/` : ''}${file}`
      : undefined;
  return { backupId: m[1], legacyKey, explicitPath };
}

/**
 * Why `--file` cannot name a backup of `database`, or undefined when it can: a path that
 * climbs or wanders ('..', '.', '//', a leading '/', a backslash), or a pgwarden key in
 * another database's folder (backup ids repeat across databases, so a key names its
 * database). Old scripts' files outside any data/ folder are not tied to a database. Pure.
 */
export function restoreFileRefusal(file: string, prefix: string, database: string): string | undefined {
  const segments = file.split('/');
  if (file.startsWith('/') || file.includes('\\') || segments.some((s) => s === '..' || s === '.' || s === '')) {
    return `--file ${file}: a key may not start with "/" or contain "..", "." or "//" segments; give the backup id (e.g. backup_20240101_120000) or the key as pgwarden restore --list shows it`;
  }
  const folder = dataFolder(prefix, database);
  if (file.includes('/data/') && !(file.startsWith(folder) && !file.slice(folder.length).includes('/'))) {
    return `--file ${file}: that key is not one of ${database}'s backups (they are under ${folder}); pass --database for the database it belongs to, or give the backup id`;
  }
  return undefined;
}

const IDENT = /^[a-z_][a-z0-9_$-]{0,62}$/i;

export function validDatabaseName(name: string): boolean {
  return IDENT.test(name) && !/^(postgres|template0|template1)$/.test(name);
}

/** The line a name that validDatabaseName refuses is refused with. */
export function newDatabaseRefusal(name: string): string {
  return `"${name}" cannot be restored into: use letters, digits, _ and -, and not postgres, template0 or template1`;
}

/**
 * The start of the names a restore derives from its target's: at most 30 lowercase ASCII
 * characters, so a name of 63 bytes or fewer follows whatever the target is called (in place,
 * the database's own name may hold capitals, spaces or non-ASCII letters). Unchanged for a
 * name of letters, digits, _, $ and -.
 */
function nameStem(target: string): string {
  return target
    .toLowerCase()
    .replace(/[^a-z0-9_$-]/g, '_')
    .slice(0, 30);
}

/**
 * The working name a restore loads under before the database takes the target's name (in
 * place, or the new one asked for); attempt n > 1 adds `_n` (attemptName).
 */
export function stagingName(target: string, runId: string): string {
  return `${nameStem(target)}_restore_${runId.replace(/-/g, '').slice(0, 12).toLowerCase()}`;
}

/** The comment a restore marks the database it loads into with, until it is complete. */
export function restoreMark(run: RunRef): string {
  return `pgwarden restore ${run.workflowId} ${run.runId}`;
}

/** The run named in a database's restore mark, if it carries one. Pure. */
export function restoreMarkRun(comment: string | null): RunRef | undefined {
  const m = /^pgwarden restore (\S+) (\S+)$/.exec(comment ?? '');
  return m ? { workflowId: m[1], runId: m[2] } : undefined;
}

/**
 * Whether a database found under the name a restore is about to create is this run's own
 * leftover (dropped and made again) rather than somebody's (refused). Under a name anybody may
 * use, only this run's mark says so. The staging name carries this run's id, so there a
 * database without any run's mark is ours too: a worker that died between CREATE DATABASE and
 * the mark (the mark gives way to the backup's comment only as the database takes the
 * target's name). Pure.
 */
export function isOwnLeftover(comment: string | null, run: RunRef, stagingOfThisRun: boolean): boolean {
  if (comment === restoreMark(run)) return true;
  return stagingOfThisRun && restoreMarkRun(comment) === undefined;
}

/** The database an attempt of a restore made and loads into, as its heartbeats carry it to the next attempt. */
export interface LoadedDatabase {
  name: string;
  oid: string;
}

/**
 * Whether an earlier attempt of this restore, whose report never reached the server (its worker
 * stopped, or the server gave up on it and it went on), had finished: the database it made (found by its oid) is under the target's name, and the
 * restore's mark on it has given way to the backup's own comment. Both happen in the one
 * transaction that gives the loaded database the target's name (in place, the swap), after its
 * row counts passed; the mark is set right after CREATE DATABASE, and the oid is only told
 * after that. The retry then reports the restore instead of loading it again, or instead of
 * swapping in its own copy. Pure.
 */
export function earlierAttemptFinished(
  found: { name: string; comment: string | null } | undefined,
  target: string,
  run: RunRef,
): boolean {
  return found !== undefined && found.name === target && found.comment !== restoreMark(run);
}

/** Where the replaced database goes when an in-place restore swaps in the restored one. */
export function keptName(target: string, backupId: string): string {
  return `${nameStem(target)}_before_${backupId.replace(/^backup_/, '').toLowerCase()}`;
}

/** What a restore did beyond loading the backup, as the lines its report and the incident timeline show. */
export function restoreNotes(r: { rolesCreated?: readonly string[]; warnings?: readonly string[] }): string[] {
  return [
    ...(r.rolesCreated?.length ? [`roles created from the backup's globals: ${r.rolesCreated.join(', ')}`] : []),
    ...(r.warnings ?? []),
  ];
}

/** Storage classes whose objects must be retrieved (RestoreObject) before they can be read. */
export function needsRetrieval(storageClass: string | undefined): boolean {
  return storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE';
}

/** How long a retrieval takes, to tell people and to pace the durable wait. */
export function retrievalEstimate(storageClass: string | undefined): { tier: 'Standard'; hours: string; pollMinutes: number } {
  return storageClass === 'DEEP_ARCHIVE'
    ? { tier: 'Standard', hours: '12-48 h', pollMinutes: 60 }
    : { tier: 'Standard', hours: '3-5 h', pollMinutes: 30 };
}

/** Recovery figures against the strategy's objectives (RTO database restore 2-4 h; RPO 24 h). */
export function recoveryFigures(input: { startedAt: Date; finishedAt: Date; backupTakenAt: Date | undefined }): {
  recoveryMs: number;
  backupAgeHours: number | null;
  withinRto: boolean;
} {
  const recoveryMs = input.finishedAt.getTime() - input.startedAt.getTime();
  const backupAgeHours = input.backupTakenAt
    ? Math.round(((input.startedAt.getTime() - input.backupTakenAt.getTime()) / 3_600_000) * 10) / 10
    : null;
  return {
    recoveryMs,
    backupAgeHours,
    withinRto: recoveryMs <= OBJECTIVES.restore.maxMs,
  };
}

/**
 * Whether the decrypted dump fits where the parallel pg_restore reads it, with 5% to spare:
 * a restore that would fill the disk after its approval is refused before. Pure.
 */
export function workDirRoomProblem(freeBytes: number, dumpBytes: number, dir: string, backupId: string): string | undefined {
  if (freeBytes >= dumpBytes * 1.05) return undefined;
  return `PGWARDEN_WORK_DIR: ${dir} has ${formatBytes(freeBytes)} free, and the decrypted dump of ${backupId} needs ${formatBytes(dumpBytes)}; point PGWARDEN_WORK_DIR at a larger disk`;
}

/** The share of all rows one table must hold for a restore to stream instead of using a work file. */
export const STREAM_WHEN_ONE_TABLE_HOLDS = 0.8;

/**
 * Whether a custom-format dump loads through one `pg_restore` fed as it downloads, rather than
 * decrypted to a work file first for a parallel `pg_restore --jobs`. Where zstd runs outside
 * pg_dump, that file is the whole raw dump: writing and reading it cost more than `--jobs`
 * gains when one table holds nearly all the rows (measured on pgbench: x1.75 of a plain
 * `pg_restore -j2` with the file, x1.08-x1.17 streamed). Compressed inside pg_dump 16+ the file
 * is small, and streaming still wins (pgbench 100 on PostgreSQL 18: 13.1-13.2 s streamed,
 * 13.6-15.0 s with `-j2` from the file). A parallel backup's parts keep the
 * file and `--jobs`. Rows stand in for bytes: manifests have counted rows since their first
 * version. Pure.
 */
export function loadsStreamed(tables: Array<{ rows: number }>, parts: number): boolean {
  if (parts > 0) return false;
  const total = tables.reduce((n, t) => n + t.rows, 0);
  return total > 0 && Math.max(...tables.map((t) => t.rows)) >= total * STREAM_WHEN_ONE_TABLE_HOLDS;
}
