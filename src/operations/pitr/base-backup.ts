/**
 * Base backups: a copy of a whole cluster by `pg_basebackup`, the start of every
 * point-in-time recovery. Names, what pg_basebackup said, and the manifest (docs/FORMAT.md,
 * section 8), written last as for dumps: a base backup without one does not exist.
 */
import type { BackupManifest, ManifestCompression, StoredObject } from '../backup/manifest';
import { backupIdFor, nextBackupId } from '../backup/naming';
import { formatBytes } from '../backup/progress';
import type { BaseBackupRowCounts } from './base-verification';
import { formatLsn, parseLsn, segmentName, segmentOf } from './wal-names';
import { parseStoredRecord } from '../../infra/storage/stored-record';

export const BASE_BACKUP_KIND = 'pgwarden.basebackup';
export const BASE_BACKUP_FORMAT_VERSION = 1;
/**
 * A base backup of a server with tablespaces besides the main one: a pgwarden that knows only
 * version 1 would restore the main tar alone, so it must refuse these instead.
 */
export const BASE_BACKUP_WITH_TABLESPACES_VERSION = 2;
/**
 * An incremental base backup: a pgwarden that knows only versions 1 and 2 would restore its tar
 * alone (only the files that changed), so it must refuse these instead.
 */
export const BASE_BACKUP_INCREMENTAL_VERSION = 3;

/** `base_YYYYMMDD_HHMMSS`: the start time, in the naming of the strategy's backups. */
export const baseBackupIdFor = (at: Date) => backupIdFor(at).replace(/^backup_/, 'base_');

/** The id of the second after a base backup id's. */
export const nextBaseBackupId = (id: string) => nextBackupId(id.replace(/^base_/, 'backup_')).replace(/^backup_/, 'base_');

/** What is wrong with a base backup id given on the command line (`--base`), if anything. */
export function baseBackupIdProblem(given: string): string | undefined {
  return /^base_\d{8}_\d{6}$/.test(given)
    ? undefined
    : `--base ${given}: expected a base backup id like base_20261129_010000 (pgwarden pitr list)`;
}

export interface WalPoint {
  lsn: string;
  timeline: number;
  /** The WAL segment holding `lsn` on that timeline. */
  walFile: string;
}

/**
 * Why a base backup is full though incrementals were asked for. The first three are the
 * schedule's own course; the others hold until someone changes something (incrementalNotes).
 */
export type FullReason =
  | 'asked'
  | 'first'
  | 'chain-complete'
  | 'server-too-old'
  | 'summaries-off'
  | 'parent-without-manifest'
  | 'parent-failed'
  | 'new-timeline'
  | 'summaries-short';

/** What an incremental base backup rests on: the full one first, its parent last. */
export interface IncrementalOf {
  parent: string;
  chain: string[];
}

export interface BaseBackupManifest {
  kind: typeof BASE_BACKUP_KIND;
  formatVersion: number;
  backupId: string;
  /** The WAL_ARCHIVE id the server is known by. */
  server: string;
  /** systemIdentifier: the cluster copied (absent in backups taken before it was recorded). */
  serverInfo: { host: string; version: string; versionNum: number; segmentBytes: number; systemIdentifier?: string };
  /** `fetch` since 0.1 of the format's base backups made by pg_basebackup's own compression; `none` before. */
  pgBasebackup: { version: string; format: 'tar'; walMethod: 'none' | 'fetch' };
  /** Where recovery starts, and the point before which it cannot stop (the backup is consistent from there). */
  start: WalPoint;
  stop: WalPoint;
  compression: ManifestCompression;
  /** As in a dump's manifest: the same containers and key ring. */
  encryption: BackupManifest['encryption'];
  /** The cluster's main tablespace as one tar stream (PostgreSQL's backup_manifest inside it, unless `backupManifest`). */
  data: StoredObject;
  /** The other tablespaces (format version 2), each one tar of the tablespace folder's contents. */
  tablespaces?: BaseBackupTablespace[];
  /**
   * PostgreSQL's backup_manifest, stored beside the tars: when there are several (format
   * version 2), and when incremental base backups are on (the next one is taken against it).
   */
  backupManifest?: StoredObject;
  /** An incremental base backup (format version 3): only what changed since its parent; restored with its whole chain. */
  incremental?: IncrementalOf;
  /** Why this one is full though BASEBACKUP_INCREMENTALS asked for incrementals (absent: it was due, or they were not asked for). */
  fullBecause?: string;
  /** The same as a code (absent before 2026-12-04): what decides whether it is worth a note. */
  fullReason?: FullReason;
  /** Row counts of the server's database taken beside the copy, for verification (absent before they were taken). */
  rowCounts?: BaseBackupRowCounts;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  workflow: { id: string; runId: string };
  reason: string;
  pgwarden: { version: string };
}

export interface BaseBackupTablespace {
  oid: number;
  name: string;
  /** Where the server keeps it; a restore puts it elsewhere, never there. */
  location: string;
  data: StoredObject;
}

/** Oldest first, by when each finished (ISO times sort as text). */
export function byFinish<T extends { finishedAt: string }>(bases: readonly T[]): T[] {
  return [...bases].sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0));
}

/** The base backup that finished last: the one the next incremental, a restore's default and the checks look at. */
export const newestBaseBackup = <T extends { finishedAt: string }>(bases: readonly T[]): T | undefined => byFinish(bases).at(-1);

/** Every stored object of a base backup but its manifest: what a restore reads and cleanup deletes. */
export function baseBackupObjects(m: Pick<BaseBackupManifest, 'data' | 'tablespaces' | 'backupManifest'>): StoredObject[] {
  return [m.data, ...(m.tablespaces ?? []).map((t) => t.data), ...(m.backupManifest ? [m.backupManifest] : [])];
}

/** The stored size of a base backup, all its objects together. */
export const baseBackupStoredBytes = (m: Pick<BaseBackupManifest, 'data' | 'tablespaces' | 'backupManifest'>) =>
  baseBackupObjects(m).reduce((sum, o) => sum + o.storedBytes, 0);

/** A position in WAL with the segment that holds it. */
export function walPoint(text: string, timeline: number, segmentBytes: number): WalPoint {
  const lsn = parseLsn(text);
  return { lsn: formatLsn(lsn), timeline, walFile: segmentName({ timeline, segno: segmentOf(lsn, segmentBytes) }, segmentBytes) };
}

export function parseBaseBackupManifest(text: string, key: string): BaseBackupManifest {
  return parseStoredRecord<BaseBackupManifest>(text, key, {
    what: 'base backup manifest',
    kindName: 'a pgwarden base backup manifest',
    kind: BASE_BACKUP_KIND,
    versions: [BASE_BACKUP_FORMAT_VERSION, BASE_BACKUP_WITH_TABLESPACES_VERSION, BASE_BACKUP_INCREMENTAL_VERSION],
    required: ['backupId', 'server', 'start', 'stop', 'data', 'encryption'],
  });
}

/** The WAL segment the base backup's WAL must reach: its stop, or the counting point after it. */
export function lastWalNeeded(m: Pick<BaseBackupManifest, 'stop' | 'rowCounts' | 'serverInfo'>): string {
  if (!m.rowCounts) return m.stop.walFile;
  return walPoint(m.rowCounts.lsn, m.stop.timeline, m.serverInfo.segmentBytes).walFile;
}

/**
 * What the spool of a base backup may take (a server with tablespaces, or incrementals on). Where read bytes are given back to the
 * disk (`limitBytes`, BASEBACKUP_SPOOL_MB), twice that: the limit, plus what pg_basebackup writes
 * before it is stopped and what is read but not yet given back. Else the whole copy: the
 * cluster's size on disk, compressed as the newest base backup of it was (same algorithm) with a
 * quarter to spare, or the whole size when there is none to go by (a compressed copy is never
 * larger). Pure.
 */
export function spoolBytesNeeded(
  clusterBytes: number,
  algorithm: string,
  newest?: Pick<BaseBackupManifest, 'data' | 'tablespaces' | 'backupManifest' | 'compression'>,
  limitBytes?: number,
): number {
  const bound = limitBytes ? 2 * limitBytes : Infinity;
  if (!newest || newest.compression.algorithm !== algorithm || !(newest.data.rawBytes > 0)) return Math.min(bound, clusterBytes);
  const ratio = baseBackupStoredBytes(newest) / newest.data.rawBytes;
  return Math.min(bound, Math.ceil(clusterBytes * Math.min(1, ratio * 1.25)));
}

/** Whether the worker's work folder can hold that spool (`limited`: by BASEBACKUP_SPOOL_MB). Pure. */
export function spoolRoomProblem(
  freeBytes: number,
  neededBytes: number,
  dir: string,
  server: string,
  limited = false,
): string | undefined {
  if (freeBytes >= neededBytes) return undefined;
  return `PGWARDEN_WORK_DIR: ${dir} has ${formatBytes(freeBytes)} free, and a base backup of ${server} (copied through it: the server has tablespaces, or BASEBACKUP_INCREMENTALS is on) may need ${formatBytes(neededBytes)}; ${limited ? 'lower BASEBACKUP_SPOOL_MB or ' : ''}point PGWARDEN_WORK_DIR at a larger disk`;
}
