/**
 * Where everything lives in the bucket: the one module that maps pgwarden's object kinds to
 * keys, mirroring docs/FORMAT.md section 1. Nothing else builds a key.
 *
 *   <prefix>/<db>/data/backup_<stamp>.dump.enc | .sql.gz.enc | .globals.sql.gz.enc | .part2.dump.zst.enc | .claim
 *   <prefix>/<db>/manifests/backup_<stamp>.json
 *   <prefix>/<db>/verifications/backup_<stamp>.json
 *   <prefix>/<db>/records/backup-failures/backup_<stamp>.json
 *   <prefix>/<db>/records/restores/<UTC time>_<workflow id>.json
 *   <prefix>/<server>/basebackups/base_<stamp>.tar.zst.enc | base_<stamp>.json
 *                                 | base_<stamp>.tablespace-<oid>.tar.zst.enc | base_<stamp>.backup_manifest.zst.enc
 *   <prefix>/<server>/basebackup-verifications/base_<stamp>.json
 *   <prefix>/<server>/wal/<segment>.zst.enc | <timeline>.history.zst.enc | <segment>.partial.zst.enc
 *   <prefix>/<server>/restore-points/<url-encoded name>.json
 *   <prefix>/.pgwarden/keys/<key id>.check,  <prefix>/.pgwarden/preflight-<uuid>
 *   <prefix>/backup_<stamp>.sql.gz.enc      an old script's backup (read, never written)
 */
import type { BackupFormat } from '../config/config';
import { CompressionAlgorithm, CompressionPolicy, compressionSuffix, streamCompression } from '../compression/compression';

/** `<prefix>/`, or nothing for an empty prefix. */
export const topLevel = (prefix: string) => (prefix ? `${prefix}/` : '');

export const databaseRoot = (prefix: string, database: string) => `${topLevel(prefix)}${database}/`;

export const dataFolder = (prefix: string, database: string) => `${databaseRoot(prefix, database)}data/`;
export const manifestPrefix = (prefix: string, database: string) => `${databaseRoot(prefix, database)}manifests/`;
export const verificationPrefix = (prefix: string, database: string) => `${databaseRoot(prefix, database)}verifications/`;
export const recordsRoot = (prefix: string, database: string) => `${databaseRoot(prefix, database)}records/`;
export const failurePrefix = (prefix: string, database: string) => `${recordsRoot(prefix, database)}backup-failures/`;
export const restorePrefix = (prefix: string, database: string) => `${recordsRoot(prefix, database)}restores/`;

export interface BackupKeys {
  data: string;
  globals: string;
  manifest: string;
}

/** pgwarden's compression before zstd became the default: gzip inside pg_dump (custom) or of the stream (plain, globals). */
export const GZIP_AS_BEFORE: CompressionPolicy = { algorithm: 'gzip', level: 6 };

/**
 * The objects of one backup; all share its id. A name says what to undo after decryption:
 * `.dump.enc` (custom, compressed inside pg_dump or not at all), `.dump.zst.enc`,
 * `.sql.gz.enc`, `.sql.zst.enc`, `.globals.sql.lz4.enc`, ...
 */
export function backupKeys(
  prefix: string,
  database: string,
  backupId: string,
  format: BackupFormat,
  compression: CompressionPolicy = GZIP_AS_BEFORE,
  pgDumpMajor?: number,
): BackupKeys {
  const folder = dataFolder(prefix, database);
  const body = format === 'custom' ? 'dump' : 'sql';
  return {
    data: `${folder}${backupId}.${body}${compressionSuffix(streamCompression(format, compression, pgDumpMajor))}.enc`,
    globals: `${folder}${backupId}.globals.sql${compressionSuffix(compression.algorithm)}.enc`,
    manifest: manifestKey(prefix, database, backupId),
  };
}

/**
 * A running backup's hold on its id, written only where no object is (`If-None-Match`) before
 * the dump starts, so two runs started in one second never share an id. Named like the
 * backup's objects: whatever handles `<backup id>.` in the data folder sees it.
 */
export const claimKey = (prefix: string, database: string, backupId: string) =>
  `${dataFolder(prefix, database)}${backupId}.claim`;

/**
 * A parallel backup's data-only part n (2..BACKUP_JOBS; the main dump is part 1): custom format,
 * compressed as the main dump is.
 */
export function dataPartKey(
  prefix: string,
  database: string,
  backupId: string,
  part: number,
  compression: CompressionPolicy,
  pgDumpMajor?: number,
): string {
  return `${dataFolder(prefix, database)}${backupId}.part${part}.dump${compressionSuffix(streamCompression('custom', compression, pgDumpMajor))}.enc`;
}

/**
 * A server's base backups (`pg_basebackup`): `base_<stamp>.tar.zst.enc` and its manifest
 * `base_<stamp>.json`; of a server with tablespaces besides the main one also one tar per
 * tablespace, `base_<stamp>.tablespace-<oid>.tar.zst.enc`, and PostgreSQL's backup manifest,
 * `base_<stamp>.backup_manifest.zst.enc` (inside the main tar otherwise).
 */
export const baseBackupFolder = (prefix: string, server: string) => `${databaseRoot(prefix, server)}basebackups/`;
/** A running base backup's claim on its id (the dumps' `claimKey`, in the base backups' folder). */
export const baseClaimKey = (prefix: string, server: string, backupId: string) =>
  `${baseBackupFolder(prefix, server)}${backupId}.claim`;

export function baseBackupKeys(
  prefix: string,
  server: string,
  backupId: string,
  compression: CompressionPolicy,
): { data: string; manifest: string; tablespace(oid: number): string; backupManifest: string } {
  const folder = baseBackupFolder(prefix, server);
  const suffix = compressionSuffix(compression.algorithm);
  return {
    data: `${folder}${backupId}.tar${suffix}.enc`,
    manifest: `${folder}${backupId}.json`,
    tablespace: (oid) => `${folder}${backupId}.tablespace-${oid}.tar${suffix}.enc`,
    backupManifest: `${folder}${backupId}.backup_manifest${suffix}.enc`,
  };
}

/**
 * The latest verification of a base backup (pg_verifybackup, recovery, row counts). A folder of
 * its own: whatever lists `basebackups/` reads every `.json` there as a manifest.
 */
export const baseVerificationFolder = (prefix: string, server: string) =>
  `${databaseRoot(prefix, server)}basebackup-verifications/`;
export const baseVerificationKey = (prefix: string, server: string, backupId: string) =>
  `${baseVerificationFolder(prefix, server)}${backupId}.json`;

/** How far verify has read a server's archived WAL back: per timeline, the newest segment checked. */
export const walVerificationKey = (prefix: string, server: string) => `${databaseRoot(prefix, server)}wal-verification.json`;

/** A server's archived WAL: segments, timeline histories and the segment being written. */
export const walFolder = (prefix: string, server: string) => `${databaseRoot(prefix, server)}wal/`;

/**
 * An archived WAL file by its PostgreSQL name (`000000010000000A000000F3`, `00000002.history`,
 * or `<segment>.partial` for the segment being written), compressed and encrypted.
 */
export function walKey(prefix: string, server: string, fileName: string, compression: CompressionPolicy): string {
  return `${walFolder(prefix, server)}${fileName}${compressionSuffix(compression.algorithm)}.enc`;
}

/** The PostgreSQL file name an archived WAL object holds, and what to undo after decryption. */
export function walFileOf(key: string): { fileName: string; compression: CompressionAlgorithm } | undefined {
  const m = /\/wal\/([0-9A-F]{8}(?:[0-9A-F]{16}(?:\.partial)?|\.history))(\.zst|\.lz4|\.gz)?\.enc$/.exec(key);
  if (!m) return undefined;
  const compression: CompressionAlgorithm = m[2] === '.zst' ? 'zstd' : m[2] === '.lz4' ? 'lz4' : m[2] === '.gz' ? 'gzip' : 'none';
  return { fileName: m[1], compression };
}

/** Restore points made with `pgwarden pitr mark`, one record each, named by the point. */
export const restorePointFolder = (prefix: string, server: string) => `${databaseRoot(prefix, server)}restore-points/`;
export const restorePointKey = (prefix: string, server: string, name: string) =>
  `${restorePointFolder(prefix, server)}${encodeURIComponent(name)}.json`;

export const manifestKey = (prefix: string, database: string, backupId: string) =>
  `${manifestPrefix(prefix, database)}${backupId}.json`;
export const verificationKey = (prefix: string, database: string, backupId: string) =>
  `${verificationPrefix(prefix, database)}${backupId}.json`;
export const failureKey = (prefix: string, database: string, backupId: string) =>
  `${failurePrefix(prefix, database)}${backupId}.json`;
/** `20261124T013000Z_<id>`: names that sort by time (an ISO time, compacted) and are safe in a key. */
const timeFirst = (isoTime: string, id: string) =>
  `${isoTime.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}_${id.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

/** Restore records sort by time: the key starts with the finish time. */
export const restoreKey = (prefix: string, database: string, finishedAt: string, workflowId: string) =>
  `${restorePrefix(prefix, database)}${timeFirst(finishedAt, workflowId)}.json`;

/** Evidence reports of incidents and recoveries (JSON and markdown), by the time they closed: docs/FORMAT.md §9. */
export const reportsFolder = (prefix: string, database: string) => `${databaseRoot(prefix, database)}reports/`;
export function evidenceKeys(prefix: string, database: string, closedAt: string, id: string): { json: string; markdown: string } {
  const base = `${reportsFolder(prefix, database)}${timeFirst(closedAt, id)}`;
  return { json: `${base}.json`, markdown: `${base}.md` };
}

/** The backup id a per-backup JSON record is named by (manifests, verifications, failures). */
export const recordName = (key: string) => key.slice(key.lastIndexOf('/') + 1, -'.json'.length);

/** A key check: a known text encrypted with one key id, beside the backups. */
export const keyCheckKey = (prefix: string, keyId: string) => `${topLevel(prefix)}.pgwarden/keys/${keyId}.check`;
/** The preflight's write probe, removed right after it was written. */
export const preflightProbeKey = (prefix: string, nonce: string) => `${topLevel(prefix)}.pgwarden/preflight-${nonce}`;

/** Where the strategy's old scripts put their backups: `<S3_PREFIX>/backup_YYYYMMDD_HHMMSS.sql.gz.enc`. */
export const legacyKey = (prefix: string, backupId: string) => `${topLevel(prefix)}${backupId}.sql.gz.enc`;
export const LEGACY_NAME = /^(backup_\d{8}_\d{6})\.sql\.gz\.enc$/;
/** What to list to find the old scripts' backups. */
export const legacyListPrefix = (prefix: string) => `${topLevel(prefix)}backup_`;
