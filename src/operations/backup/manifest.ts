/**
 * The backup manifest (docs/FORMAT.md, section 4): what a backup contains and how to check
 * it. Written last, it is the commit marker: a backup without one does not exist.
 */
import type { BackupFormat } from '../../infra/config/config';
import type { EncryptionAlgorithm } from '../../infra/config/encryption';
import type { DatabaseProperties, RoleDependencies } from '../../infra/postgres/database-properties';
import type { ExtensionUse } from '../../infra/postgres/extensions';
import type { TableCount } from '../../infra/postgres/tables';
import type { CompressionAlgorithm } from '../../infra/compression/compression';
import { parseStoredRecord } from '../../infra/storage/stored-record';

export type { TableCount };

export const MANIFEST_KIND = 'pgwarden.backup';
/** Version 2 added stream compression (zstd, lz4, none) and says in `compression` what to undo. */
export const MANIFEST_FORMAT_VERSION = 2;
/**
 * Version 3 adds `dataParts` (a parallel backup): written only when a backup has parts, so
 * every other backup stays readable by a pgwarden that knows version 2.
 */
export const PARALLEL_MANIFEST_FORMAT_VERSION = 3;
/** Versions this pgwarden reads. */
export const READABLE_MANIFEST_VERSIONS = [1, 2, 3];

/** The version a manifest with these contents is written as: the lowest that says everything in it. */
export function manifestVersionFor(m: Pick<BackupManifest, 'dataParts'>): number {
  return m.dataParts?.length ? PARALLEL_MANIFEST_FORMAT_VERSION : MANIFEST_FORMAT_VERSION;
}

export interface ManifestCompression {
  /** BACKUP_COMPRESSION when the backup was taken, and its level. */
  algorithm: CompressionAlgorithm;
  level: number;
  /** What to undo on the data object after decryption; version 1 has none (custom: inside pg_dump) or gzip (plain). */
  data?: CompressionAlgorithm;
  /** What to undo on the globals object after decryption; version 1: gzip. */
  globals?: CompressionAlgorithm;
}

/** What a data object written before stream compression needs undone: none (custom, gzip inside pg_dump) or gzip (plain). */
export function dataCompressionBeforeVersion2(format: string): CompressionAlgorithm {
  return format === 'custom' ? 'none' : 'gzip';
}

/** The compression to undo on a backup's data object after decryption, for every manifest version. */
export function dataCompressionOf(m: Pick<BackupManifest, 'compression' | 'pgDump'>): CompressionAlgorithm {
  return m.compression?.data ?? dataCompressionBeforeVersion2(m.pgDump.format);
}

/**
 * The compression pg_dump applied inside a custom-format archive, which the pg_restore that
 * reads it must be built with; undefined when the archive holds none. Version 1: gzip inside.
 */
export function archiveCompressionOf(m: Pick<BackupManifest, 'compression' | 'pgDump'>): CompressionAlgorithm | undefined {
  if (m.pgDump.format !== 'custom' || dataCompressionOf(m) !== 'none') return undefined;
  const algorithm = m.compression?.algorithm ?? 'gzip';
  return algorithm === 'none' ? undefined : algorithm;
}

/** The compression to undo on a backup's globals object after decryption. */
export function globalsCompressionOf(m: Pick<BackupManifest, 'compression'>): CompressionAlgorithm {
  return m.compression?.globals ?? 'gzip';
}

export interface StoredObject {
  key: string;
  rawBytes: number;
  storedBytes: number;
  sha256: string;
  md5: string;
}

/** One data-only part of a parallel backup: a custom-format archive of these tables' rows, compressed and encrypted as `data`. */
export interface DataPart extends StoredObject {
  tables: Array<{ schema: string; table: string }>;
}

/** Every object holding the backup's data: the main dump, then the parts of a parallel backup. */
export function dataObjects(m: Pick<BackupManifest, 'data' | 'dataParts'>): StoredObject[] {
  return [m.data, ...(m.dataParts ?? [])];
}

/** Stored and raw bytes of all the backup's data objects. */
export function dataBytes(m: Pick<BackupManifest, 'data' | 'dataParts'>): { storedBytes: number; rawBytes: number } {
  const all = dataObjects(m);
  return {
    storedBytes: all.reduce((sum, o) => sum + o.storedBytes, 0),
    rawBytes: all.reduce((sum, o) => sum + o.rawBytes, 0),
  };
}

export interface BackupManifest {
  kind: typeof MANIFEST_KIND;
  formatVersion: number;
  backupId: string;
  database: string;
  databaseName: string;
  server: { host: string; version: string; versionNum: number };
  pgDump: { version: string; format: BackupFormat };
  compression: ManifestCompression;
  encryption: {
    algorithm: EncryptionAlgorithm;
    keyId: string;
    container: 'pgwarden-gcm-v1' | 'openssl-pbkdf2-v1';
    chunkSize?: number;
  };
  /** The main dump: the whole schema and all data but the parts' tables. */
  data: StoredObject;
  /** Version 3: data-only dumps of the largest tables, taken in the same snapshot (BACKUP_JOBS > 1). */
  dataParts?: DataPart[];
  globals: StoredObject & { withPasswords: boolean };
  tables: TableCount[];
  /** The database around its contents (owner, locale, privileges, settings); absent in older manifests. */
  databaseProperties?: DatabaseProperties;
  /** Roles the database's objects belong to or are granted to; absent in older manifests. */
  roles?: RoleDependencies;
  /** The extensions the database uses (pg_extension), by name; absent in older manifests. */
  extensions?: ExtensionUse[];
  /** What only a superuser may create again (event triggers, FOR ALL TABLES publications, untrusted-language functions); absent in older manifests. */
  superuserObjects?: string[];
  snapshot: { id: string; takenAt: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  workflow: { id: string; runId: string };
  storage: { bucket: string; storageClass: string; serverSideEncryption: string; objectLockUntil: string | null };
  reason: string;
  pgwarden: { version: string };
}

/** Parses and checks a stored manifest; a reader refuses kinds and versions it does not know. */
export function parseManifest(text: string, key: string): BackupManifest {
  return parseStoredRecord<BackupManifest>(text, key, {
    what: 'manifest',
    kindName: 'a pgwarden backup manifest',
    kind: MANIFEST_KIND,
    versions: READABLE_MANIFEST_VERSIONS,
    required: ['backupId', 'database', 'data', 'globals', 'tables', 'encryption'],
  });
}

export function sortTables(tables: TableCount[]): TableCount[] {
  return [...tables].sort((a, b) =>
    a.schema === b.schema ? (a.table < b.table ? -1 : a.table > b.table ? 1 : 0) : a.schema < b.schema ? -1 : 1,
  );
}
