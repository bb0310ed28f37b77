/**
 * Backups written straight into the bucket with a chosen time, for tests of what reads the
 * catalog (cleanup, the missing-backup check) over days or months without waiting for them.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildManifest } from '../../activities/backup-manifest';
import { backupIdFor } from '../../src/operations/backup/naming';
import { StorageConfig } from '../../src/infra/config/storage';
import { backupKeys, dataPartKey, GZIP_AS_BEFORE, verificationKey } from '../../src/infra/storage/layout';

export const DAY = 86_400_000;

export async function putBackup(
  s3: S3Client,
  storage: StorageConfig,
  database: string,
  takenAt: Date,
  extra: { verified?: 'passed' | 'failed'; lockedUntil?: Date; parts?: number } = {},
): Promise<string> {
  const backupId = backupIdFor(takenAt);
  const keys = backupKeys(storage.prefix, database, backupId, 'custom');
  const object = { rawBytes: 10, storedBytes: 20, sha256: 'a'.repeat(64), md5: 'b'.repeat(32) };
  const manifest = buildManifest(
    {
      dump: {
        backupId,
        database,
        databaseName: database,
        keys,
        server: { host: 'h:5432', version: '15', versionNum: 150000 },
        pgDump: { version: 'pg_dump 15', format: 'custom' },
        compression: { algorithm: 'gzip', level: 6 },
        encryption: { algorithm: 'AES-256-GCM', keyId: 'k', container: 'pgwarden-gcm-v1' },
        data: { key: keys.data, ...object },
        dataParts: Array.from({ length: extra.parts ?? 0 }, (_, i) => ({
          key: dataPartKey(storage.prefix, database, backupId, i + 2, GZIP_AS_BEFORE),
          ...object,
          tables: [{ schema: 'public', table: `t${i + 2}` }],
        })),
        globals: { key: keys.globals, ...object, withPasswords: false },
        tables: [{ schema: 'public', table: 't', rows: 1 }],
        snapshot: { id: 's', takenAt: takenAt.toISOString() },
        storage: {
          bucket: storage.bucket,
          storageClass: 'STANDARD_IA',
          serverSideEncryption: 'AES256',
          objectLockUntil: extra.lockedUntil?.toISOString() ?? null,
        },
      },
      reason: 'simulated',
      workflow: { id: 'w', runId: 'r' },
      startedAt: takenAt.toISOString(),
    },
    new Date(takenAt.getTime() + 60_000),
  );
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key, Body }));
  await put(keys.data, 'data');
  for (const part of manifest.dataParts ?? []) await put(part.key, 'part');
  await put(keys.globals, 'globals');
  if (extra.verified)
    await put(
      verificationKey(storage.prefix, database, backupId),
      JSON.stringify({ kind: 'pgwarden.verification', status: extra.verified, failures: [], finishedAt: takenAt.toISOString() }),
    );
  await put(keys.manifest, JSON.stringify(manifest));
  return backupId;
}
