/**
 * Preflight: before any work, prove every dependency of a backup is there: the database
 * answers, the worker's pg_dump can dump it, the bucket exists and takes writes, the
 * encryption key is loaded. Configuration errors fail fast and clearly; transient ones
 * (a server restarting) are retried by Temporal.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { requireDatabase } from '../src/infra/config/config';
import { StorageConfig } from '../src/infra/config/storage';
import { keyCheckKey, makeKeyCheck, verifyKeyCheck } from '../src/infra/crypto/key-check';
import { Keyring } from '../src/infra/crypto/keyring';
import { BackupError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { dumpCompatibility, parseToolMajor, serverMajor } from '../src/infra/postgres/versions';
import { runCommand } from '../src/infra/process/run-command';
import { isNotFound, isPreconditionFailed, storageError } from '../src/infra/storage/s3-errors';
import { ActivityDeps } from './deps';

export interface PreflightInput {
  /** Configured database id (see `pgwarden check --database`). */
  database: string;
}

export interface PreflightReport {
  database: string;
  host: string;
  serverVersion: string;
  serverMajor: number;
  pgDump: { path: string; version: string; major: number };
  storage: { bucket: string; prefix: string; endpoint?: string; writable: true };
  encryption: { algorithm: string; keyId: string };
  notifications: { email: boolean; slack: boolean };
  checkedAt: string;
}

export function preflightActivity(deps: ActivityDeps) {
  return async function preflight(input: PreflightInput): Promise<PreflightReport> {
    const { config } = deps;
    const target = requireDatabase(config, input.database);

    const client = await connectDatabase(target);
    let serverVersion: string;
    let versionNum: number;
    try {
      const { rows } = await client.query<{ v: string; n: string }>(
        "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n",
      );
      serverVersion = rows[0].v;
      versionNum = Number(rows[0].n);
      // pg_dump refuses rows hidden by row-level security, and exact counts must see them all.
      const rls = await client.query<{ t: string; u: string }>(`
        SELECT format('%I.%I', n.nspname, c.relname) AS t, current_user AS u
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles r
         WHERE c.relrowsecurity AND r.rolname = current_user AND NOT (r.rolsuper OR r.rolbypassrls)
           AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
         ORDER BY 1 LIMIT 1`);
      if (rls.rowCount) {
        const { t, u } = rls.rows[0];
        throw new BackupError(
          `table ${t} has row-level security the backup user "${u}" does not bypass, so a dump would miss rows: run ALTER ROLE "${u}" BYPASSRLS; as a superuser`,
        );
      }
    } finally {
      await client.end();
    }
    log.info('database reachable', { database: target.id, serverVersion });

    const pgDumpPath = pgProgram('pg_dump', config.tools.pgBinDir);
    let pgDumpVersion: string;
    try {
      pgDumpVersion = (
        await runCommand(pgDumpPath, ['--version'], { env: libpqEnvironment(target), timeoutMs: 10_000 })
      ).stdout.trim();
    } catch (err) {
      throw new BackupError(
        `pg_dump is not usable on this worker (${(err as Error).message}); install the PostgreSQL client tools or set PG_BIN_DIR`,
      );
    }
    const dumpMajor = parseToolMajor(pgDumpVersion);
    if (dumpMajor === undefined) throw new BackupError(`cannot read the version of ${pgDumpPath} ("${pgDumpVersion}")`);
    const compat = dumpCompatibility(dumpMajor, serverMajor(versionNum));
    if (!compat.ok) throw new BackupError(compat.reason);

    const storage = config.storage!;
    const ctx = { bucket: storage.bucket, endpoint: storage.endpoint };
    try {
      await deps.s3.send(new HeadBucketCommand({ Bucket: storage.bucket }));
    } catch (err) {
      throw storageError(err, { ...ctx, operation: 'HeadBucket' });
    }
    // A bucket can exist yet refuse writes (policy, Object Lock defaults, quota): prove a write.
    const probeKey = `${storage.prefix ? storage.prefix + '/' : ''}.pgwarden/preflight-${randomUUID()}`;
    try {
      await deps.s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: probeKey, Body: 'pgwarden preflight\n' }));
    } catch (err) {
      throw storageError(err, { ...ctx, operation: 'PutObject' });
    }
    await deps.s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: probeKey })).catch((err: Error) => {
      log.warn('could not delete the preflight probe object', { key: probeKey, error: err.message });
    });

    const encryption = config.encryption!;
    await checkKey(deps.s3, storage, Keyring.from(encryption));
    return {
      database: target.id,
      host: `${target.host}:${target.port}`,
      serverVersion,
      serverMajor: serverMajor(versionNum),
      pgDump: { path: pgDumpPath, version: pgDumpVersion, major: dumpMajor },
      storage: { bucket: storage.bucket, prefix: storage.prefix, endpoint: storage.endpoint, writable: true },
      encryption: { algorithm: encryption.algorithm, keyId: encryption.activeKeyId },
      notifications: { email: Boolean(config.notifications.email), slack: Boolean(config.notifications.slackWebhookUrl) },
      checkedAt: deps.now().toISOString(),
    };
  };
}

/** Proves the active key is the one its id stands for in this bucket (see key-check.ts). */
async function checkKey(s3: S3Client, storage: StorageConfig, keyring: Keyring): Promise<void> {
  const key = keyCheckKey(storage.prefix, keyring.activeKeyId);
  const location = `s3://${storage.bucket}/${key}`;
  let stored: Buffer | undefined;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    stored = Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    if (!isNotFound(err))
      throw storageError(err, { bucket: storage.bucket, endpoint: storage.endpoint, operation: `GetObject ${key}` });
  }
  if (stored) return verifyKeyCheck(stored, keyring, location);
  try {
    await s3.send(
      new PutObjectCommand({ Bucket: storage.bucket, Key: key, Body: await makeKeyCheck(keyring), IfNoneMatch: '*' }),
    );
    log.info('recorded a key check for a new key id', { keyId: keyring.activeKeyId, key });
  } catch (err) {
    // Another worker wrote it first: check against theirs.
    if (isPreconditionFailed(err)) return checkKey(s3, storage, keyring);
    throw storageError(err, { bucket: storage.bucket, endpoint: storage.endpoint, operation: `PutObject ${key}` });
  }
}
