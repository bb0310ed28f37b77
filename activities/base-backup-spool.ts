/**
 * The copy of a server with tablespaces besides the main one. pg_basebackup writes one tar per
 * tablespace only to a folder (to a pipe it writes one tablespace), so these go through a spool
 * on the worker's disk: pg_basebackup fills it (compressed as it writes), then each tar and
 * PostgreSQL's backup_manifest is encrypted into its own object, and the spool is removed.
 * The disk this needs is the compressed cluster (estimated from the newest base backup): checked first.
 */
import { log } from '@temporalio/activity';
import { readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { CompressionPolicy, compressionSuffix } from '../src/infra/compression/compression';
import { BackupError, ConfigError } from '../src/infra/errors/errors';
import { classifyDumpFailure } from '../src/infra/postgres/dump-errors';
import { spawnStreaming } from '../src/infra/process/spawn-stream';
import type { StoredObject } from '../src/operations/backup/manifest';
import { SealedUpload, streamFileToS3 } from '../src/operations/backup/program-to-s3';
import type { BaseBackupManifest, BaseBackupTablespace } from '../src/operations/pitr/base-backup';
import { spoolBytesNeeded, spoolRoomProblem } from '../src/operations/pitr/base-backup';
import { privateWorkDir, RunRef, workFileName } from '../src/operations/restore/work-files';
import type { Tablespace } from '../src/infra/postgres/tablespaces';

/**
 * The cluster's size on disk, every tablespace together, or undefined when the backup user may
 * not ask (pg_tablespace_size needs CREATE on the tablespace or pg_read_all_stats).
 */
async function clusterBytes(client: Client): Promise<number | undefined> {
  return client
    .query<{ n: string }>('SELECT sum(pg_tablespace_size(oid))::bigint::text AS n FROM pg_tablespace')
    .then((r) => Number(r.rows[0].n))
    .catch(() => undefined);
}

/**
 * The spool of one base backup run, named after it like every work file: a retry of the run
 * starts it over, and a run that died has it removed by the janitors (worker start, verify).
 */
export async function spoolFolder(workDir: string, run: RunRef): Promise<string> {
  return join(await privateWorkDir(workDir), workFileName(run, 'basebackup-spool'));
}

/** Refuses (exit 78) before the copy when the work folder cannot hold the compressed cluster. */
export async function requireSpoolRoom(
  client: Client,
  spool: string,
  server: string,
  compression: CompressionPolicy,
  newest: BaseBackupManifest | undefined,
): Promise<void> {
  // A backup user that may not ask: the newest base backup's size as pg_basebackup counted it, a tenth on top for growth.
  const size = (await clusterBytes(client)) ?? (newest?.data.rawBytes ? Math.ceil(newest.data.rawBytes * 1.1) : undefined);
  if (size === undefined) {
    log.warn(
      'the cluster size could not be read (pg_tablespace_size) and no base backup gives it: the spool room is not checked',
      {
        server,
      },
    );
    return;
  }
  const fs = await statfs(join(spool, '..'));
  const needed = spoolBytesNeeded(size, compression.algorithm, newest);
  const problem = spoolRoomProblem(fs.bavail * fs.bsize, needed, join(spool, '..'), server);
  if (problem) throw new ConfigError([problem]);
}

export interface SpooledCopy {
  data: StoredObject;
  tablespaces: BaseBackupTablespace[];
  backupManifest: StoredObject;
}

/**
 * pg_basebackup into the spool, then every file it wrote stored; the spool goes afterwards,
 * whatever happened (a retry starts from an empty one).
 */
export async function spooledCopy(p: {
  program: string;
  /** pg_basebackup's arguments but --pgdata. */
  args: string[];
  env: NodeJS.ProcessEnv;
  spool: string;
  tablespaces: Tablespace[];
  compression: CompressionPolicy;
  keys: { data: string; tablespace(oid: number): string; backupManifest: string };
  /** How each object is stored, but its key and what it holds (format). */
  upload(key: string, format: string): SealedUpload;
  onStderrLine(line: string): void;
  onUploading(what: string): void;
  signal: AbortSignal;
}): Promise<SpooledCopy> {
  await rm(p.spool, { recursive: true, force: true });
  try {
    const proc = spawnStreaming(p.program, [`--pgdata=${p.spool}`, ...p.args], p.env, p.onStderrLine);
    const stop = () => proc.kill();
    p.signal.addEventListener('abort', stop, { once: true });
    const exit = await proc.exited.finally(() => p.signal.removeEventListener('abort', stop));
    p.signal.throwIfAborted();
    if (exit.code !== 0) {
      // A full disk is not worth a retry: said in one line with where to make room.
      if (/No space left on device/i.test(exit.stderr))
        throw new ConfigError([
          `PGWARDEN_WORK_DIR: the disk of ${join(p.spool, '..')} filled up while pg_basebackup copied there (a server with tablespaces is copied to disk first); free space there or point PGWARDEN_WORK_DIR at a larger disk`,
        ]);
      throw classifyDumpFailure('pg_basebackup', exit);
    }
    // pg_basebackup names its tars by the tablespace's oid (base for the main one), compressed as asked.
    const suffix = compressionSuffix(p.compression.algorithm);
    const tar = `.tar${suffix}`;
    const written = (await readdir(p.spool)).filter((f) => f.endsWith(tar) && f !== `base${tar}`);
    const unknown = written.filter((f) => !p.tablespaces.some((t) => f === `${t.oid}${tar}`));
    if (unknown.length)
      throw new BackupError(`a tablespace was created while the cluster was copied (${unknown.join(', ')}); copying again`, {
        retryable: true,
      });
    const stored = (file: string, key: string, format: string, compression: CompressionPolicy) => {
      p.onUploading(file);
      return streamFileToS3(join(p.spool, file), { ...p.upload(key, format), compression });
    };
    // The tars are compressed already; the backup manifest (JSON) is compressed here.
    const asIs: CompressionPolicy = { algorithm: 'none', level: 0 };
    const tablespaces: BaseBackupTablespace[] = [];
    for (const t of p.tablespaces)
      tablespaces.push({
        ...t,
        data: await stored(`${t.oid}${tar}`, p.keys.tablespace(t.oid), `pg_basebackup-tablespace-tar${suffix}`, asIs),
      });
    const data = await stored(`base${tar}`, p.keys.data, `pg_basebackup-tar${suffix}`, asIs);
    const backupManifest = await stored('backup_manifest', p.keys.backupManifest, 'backup_manifest', p.compression);
    return { data, tablespaces, backupManifest };
  } finally {
    await rm(p.spool, { recursive: true, force: true });
  }
}
