/**
 * The catalog of complete backups of a database, newest first: what `pgwarden restore --list`
 * shows and what verify and cleanup choose from. Backups with a manifest; `restore --list` and
 * verify also see the old scripts' files (legacyCatalogEntry), which cleanup never touches.
 */
import { BackupManifest, dataBytes, dataCompressionOf } from '../backup/manifest';
import { parseBackupId } from '../backup/naming';
import type { VerificationRecord } from '../verify/verification';
import type { CompressionAlgorithm } from '../../infra/compression/compression';

export interface CatalogEntry {
  backupId: string;
  database: string;
  takenAt: string;
  format: string;
  /** What a restore undoes after decryption (zstd, lz4, gzip or none). */
  compression: CompressionAlgorithm;
  storedBytes: number;
  rows: number;
  tables: number;
  reason: string;
  encryption: { algorithm: string; keyId: string };
  dataKey: string;
  /** The data-only parts of a parallel backup, beside dataKey. */
  partKeys?: string[];
  manifestKey: string;
  /** The data object's current storage class (after any lifecycle transition). */
  storageClass: string;
  verification: { status: 'passed' | 'failed' | 'never'; at: string | null; failures: string[] };
  /** An old script's backup (no manifest): listed, verified and restored like pgwarden's own. */
  source?: 'old-script';
}

/** An old script's file as a catalog entry: time from its name, counts from its first verification. */
export function legacyCatalogEntry(
  database: string,
  object: { key: string; size: number; storageClass?: string },
  backupId: string,
  verification: VerificationRecord | undefined,
): CatalogEntry {
  const counts = verification?.counts ?? [];
  return {
    backupId,
    database,
    takenAt: parseBackupId(backupId)!.toISOString(),
    format: 'plain (old script)',
    compression: 'gzip',
    storedBytes: object.size,
    rows: counts.reduce((n, t) => n + t.rows, 0),
    tables: counts.length,
    reason: 'old script',
    encryption: { algorithm: 'AES-256-CBC', keyId: '-' },
    dataKey: object.key,
    manifestKey: '',
    storageClass: object.storageClass ?? 'STANDARD',
    verification: verification
      ? { status: verification.status, at: verification.finishedAt, failures: verification.failures }
      : { status: 'never', at: null, failures: [] },
    source: 'old-script',
  };
}

export function catalogEntry(
  manifest: BackupManifest,
  manifestKey: string,
  storageClass: string | undefined,
  verification: VerificationRecord | undefined,
): CatalogEntry {
  return {
    backupId: manifest.backupId,
    database: manifest.database,
    takenAt: manifest.snapshot.takenAt,
    format: manifest.pgDump.format,
    compression: dataCompressionOf(manifest),
    storedBytes: dataBytes(manifest).storedBytes,
    rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
    tables: manifest.tables.length,
    reason: manifest.reason,
    encryption: { algorithm: manifest.encryption.algorithm, keyId: manifest.encryption.keyId },
    dataKey: manifest.data.key,
    ...(manifest.dataParts?.length ? { partKeys: manifest.dataParts.map((p) => p.key) } : {}),
    manifestKey,
    storageClass: storageClass ?? manifest.storage.storageClass,
    verification: verification
      ? { status: verification.status, at: verification.finishedAt, failures: verification.failures }
      : { status: 'never', at: null, failures: [] },
  };
}

export function newestFirst(entries: CatalogEntry[]): CatalogEntry[] {
  return [...entries].sort((a, b) => (a.backupId < b.backupId ? 1 : a.backupId > b.backupId ? -1 : 0));
}
