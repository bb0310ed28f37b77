/**
 * Backup names and object keys (docs/FORMAT.md, section 1). `backup_YYYYMMDD_HHMMSS` is the
 * strategy's naming; everything of one backup shares that id.
 */
import type { BackupFormat } from '../../infra/config/config';

const ID = /^backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

export function backupIdFor(at: Date): string {
  const iso = at.toISOString(); // 2026-11-24T02:00:00.000Z
  return `backup_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** The UTC time a backup id stands for, or undefined if the text is not a backup id. */
export function parseBackupId(id: string): Date | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  return backupIdFor(date) === id ? date : undefined;
}

export interface BackupKeys {
  data: string;
  globals: string;
  manifest: string;
}

export function databaseRoot(prefix: string, database: string): string {
  return `${prefix ? `${prefix}/` : ''}${database}/`;
}

export function dataExtension(format: BackupFormat): string {
  return format === 'custom' ? 'dump.enc' : 'sql.gz.enc';
}

export function backupKeys(prefix: string, database: string, backupId: string, format: BackupFormat): BackupKeys {
  const root = databaseRoot(prefix, database);
  return {
    data: `${root}data/${backupId}.${dataExtension(format)}`,
    globals: `${root}data/${backupId}.globals.sql.gz.enc`,
    manifest: `${root}manifests/${backupId}.json`,
  };
}

export const manifestPrefix = (prefix: string, database: string) => `${databaseRoot(prefix, database)}manifests/`;

/** The backup id a per-backup JSON record is named by (`.../manifests/backup_<stamp>.json`, verifications, failures). */
export const recordName = (key: string) => key.slice(key.lastIndexOf('/') + 1, -'.json'.length);

/** Where the strategy's old scripts put their backups: `<S3_PREFIX>/backup_YYYYMMDD_HHMMSS.sql.gz.enc`. */
export const legacyKey = (prefix: string, backupId: string) => `${prefix ? `${prefix}/` : ''}${backupId}.sql.gz.enc`;
export const LEGACY_NAME = /^(backup_\d{8}_\d{6})\.sql\.gz\.enc$/;
