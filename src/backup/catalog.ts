/**
 * The catalog of complete backups of a database, newest first: what `pgwarden restore --list`
 * shows and what verify and cleanup choose from. Only backups with a manifest appear.
 */
import type { BackupManifest } from './manifest';
import type { VerificationRecord } from './verification';

export interface CatalogEntry {
  backupId: string;
  database: string;
  takenAt: string;
  format: string;
  storedBytes: number;
  rows: number;
  tables: number;
  reason: string;
  encryption: { algorithm: string; keyId: string };
  dataKey: string;
  manifestKey: string;
  /** The data object's current storage class (after any lifecycle transition). */
  storageClass: string;
  verification: { status: 'passed' | 'failed' | 'never'; at: string | null; failures: string[] };
}

export function catalogEntry(manifest: BackupManifest, manifestKey: string, storageClass: string | undefined, verification: VerificationRecord | undefined): CatalogEntry {
  return {
    backupId: manifest.backupId,
    database: manifest.database,
    takenAt: manifest.snapshot.takenAt,
    format: manifest.pgDump.format,
    storedBytes: manifest.data.storedBytes,
    rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
    tables: manifest.tables.length,
    reason: manifest.reason,
    encryption: { algorithm: manifest.encryption.algorithm, keyId: manifest.encryption.keyId },
    dataKey: manifest.data.key,
    manifestKey,
    storageClass: storageClass ?? manifest.storage.storageClass,
    verification: verification ? { status: verification.status, at: verification.finishedAt, failures: verification.failures } : { status: 'never', at: null, failures: [] },
  };
}

export function newestFirst(entries: CatalogEntry[]): CatalogEntry[] {
  return [...entries].sort((a, b) => (a.backupId < b.backupId ? 1 : a.backupId > b.backupId ? -1 : 0));
}
