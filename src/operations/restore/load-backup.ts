/**
 * Loads a stored backup into an empty database (the caller's `prepare` makes it, beside the
 * download where the load waits for a work file): download, check against the manifest,
 * decrypt, then a parallel pg_restore (the custom format needs a seekable file, removed right
 * after; a parallel backup's parts load side by side), or one pg_restore fed as it downloads
 * when one table holds nearly everything (loadsStreamed), or decompress into psql for plain
 * SQL and the old scripts' backups. Used by restores and test restores alike.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as streamPipeline, Readable } from 'node:stream';
import { CompressionAlgorithm } from '../../infra/compression/compression';
import { decompressor } from '../../infra/compression/streams';
import { decompressInto } from '../../infra/compression/decompress-into';
import type { Client } from 'pg';
import { libpqEnvironment } from '../../infra/postgres/client';
import { RestoreTools, restoreTools } from '../../infra/postgres/restore-tools';
import type { Config } from '../../infra/config/config';
import type { Bucket } from '../../infra/storage/bucket';
import { DatabaseTarget } from '../../infra/config/databases';
import { openDecryption } from '../../infra/crypto/decrypt';
import { Keyring } from '../../infra/crypto/keyring';
import { plainSqlFilter } from '../../infra/postgres/plain-filter';
import { runToCompletion } from '../../infra/process/spawn-stream';
import { chain } from '../../infra/streams/chain';
import { Measure } from '../../infra/streams/measure';
import { archiveCompressionOf, BackupManifest } from '../backup/manifest';
import { ExpectedObject, IntegrityCheck } from '../verify/object-integrity';
import { openStoredObject } from './read-object';
import { privateWorkDir, RunRef, workFileName } from './work-files';

/**
 * The programs that load this backup into the server `admin` is connected to, and why they
 * cannot (restoreTools): the dump's version, and what pg_dump compressed inside its archive.
 * `manifest` is undefined for an old script's backup.
 */
export function loadingTools(admin: Client, manifest: BackupManifest | undefined, pgBinDir?: string): Promise<RestoreTools> {
  return restoreTools(admin, manifest?.pgDump, pgBinDir, manifest && archiveCompressionOf(manifest));
}

export interface LoadSpec {
  server: DatabaseTarget;
  database: string;
  dataKey: string;
  /** What the manifest recorded of the data object; absent only for the old scripts' backups. */
  expected?: ExpectedObject;
  /** A parallel backup's data-only parts (custom format), each checked against its manifest entry. */
  parts?: Array<{ key: string; expected: ExpectedObject }>;
  /** The key id from the manifest; absent for the old scripts' backups. */
  keyId?: string;
  /** custom: pg_restore from a file; plain-gz (the name is historical): SQL into psql. */
  format: 'custom' | 'plain-gz';
  /** custom: one pg_restore fed as the object downloads, with no work file (loadsStreamed). */
  streamed?: boolean;
  /** What to undo after decryption (manifest's `compression.data`; the old scripts': gzip). */
  compression: CompressionAlgorithm;
  /** Skip GRANT/REVOKE (a throw-away test restore needs no privileges of absent roles). */
  noAcl?: boolean;
  /** Skip ALTER ... OWNER TO: everything belongs to the user restoring (explicit --no-owner, test restores). */
  noOwner?: boolean;
  /** Tables and indexes into the database's own tablespace (the server lacks theirs; test restores). */
  noTablespaces?: boolean;
  /** Leave a logical replication subscriber's subscriptions out: a throw-away copy needs none, and creating one takes a superuser. */
  noSubscriptions?: boolean;
  /** The run loading it: names the decrypted file, so the janitor can tell a dead run's. */
  run: RunRef;
  /** The programs that load it, chosen for the backup and the server (restoreTools). */
  tools: { pgRestore: string; psql: string };
  /**
   * Makes `database` ready to be loaded into (creates it): beside the download when the load
   * waits for a work file, before the download when it loads as it downloads.
   */
  prepare?: () => Promise<void>;
  signal: AbortSignal;
}

/** Bytes read so far, for heartbeats. */
export interface LoadProgress {
  storedBytes: number;
}

export async function loadBackup(
  bucket: Bucket,
  keyring: Keyring,
  config: Config,
  spec: LoadSpec,
  progress: LoadProgress = { storedBytes: 0 },
): Promise<void> {
  const objects = [{ key: spec.dataKey, expected: spec.expected }, ...(spec.parts ?? [])];
  const reads = objects.map(() => ({ bytes: 0 }));
  const ticker = setInterval(() => (progress.storedBytes = reads.reduce((n, r) => n + r.bytes, 0)), 500);
  const env = libpqEnvironment(spec.server, spec.database);
  try {
    if (spec.format === 'plain-gz' || spec.streamed) await spec.prepare?.();
    if (spec.format === 'plain-gz') {
      // psql applies statements as they arrive: a mismatch found at the end fails the load,
      // and the caller drops the database it loaded into.
      await withPlaintext(bucket, keyring, spec, objects[0], reads[0], async (plaintext) => {
        const sql = chain(plaintext, [
          ...decompressor(spec.compression),
          ...(spec.noOwner || spec.noAcl || spec.noTablespaces || spec.noSubscriptions
            ? [
                plainSqlFilter({
                  noOwner: spec.noOwner ?? false,
                  noAcl: spec.noAcl ?? false,
                  noTablespaces: spec.noTablespaces ?? false,
                  noSubscriptions: spec.noSubscriptions ?? false,
                }),
              ]
            : []),
        ]);
        await runToCompletion(spec.tools.psql, ['-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${spec.database}`], env, {
          stdin: sql,
          signal: spec.signal,
          readAll: true,
        });
      });
      return;
    }
    const restoreArgs = (jobs: number | null, section?: string) => [
      ...(spec.noOwner ? ['--no-owner'] : []),
      ...(spec.noAcl ? ['--no-acl'] : []),
      ...(spec.noTablespaces ? ['--no-tablespaces'] : []),
      ...(spec.noSubscriptions ? ['--no-subscriptions'] : []),
      ...(section ? [`--section=${section}`] : []),
      '--exit-on-error',
      ...(jobs ? [`--jobs=${jobs}`] : []),
      `--dbname=${spec.database}`,
    ];
    if (spec.streamed && objects.length === 1) {
      // As for plain SQL: a mismatch found at the end of the object fails the load, and the
      // caller drops the database it loaded into.
      await withPlaintext(bucket, keyring, spec, objects[0], reads[0], (plaintext) =>
        runToCompletion(spec.tools.pgRestore, restoreArgs(null), env, {
          stdin: chain(plaintext, decompressor(spec.compression)),
          signal: spec.signal,
          readAll: true,
        }),
      );
      return;
    }
    // Otherwise the custom format is checked whole before pg_restore reads a byte of it; a
    // parallel backup's parts download side by side, each decompressor writing its work file.
    const dir = await privateWorkDir(config.verify.workDir);
    const files = objects.map((_, i) => join(dir, workFileName(spec.run, `${spec.database}${i ? `.part${i + 1}` : ''}.dump`)));
    try {
      // Creating the database costs a tenth of a second or more: not in series with the download.
      const stop = new AbortController();
      const preparing = (spec.prepare?.() ?? Promise.resolve()).catch((err: unknown) => {
        stop.abort();
        throw err;
      });
      const downloads = Promise.all(
        objects.map((o, i) =>
          withPlaintext(
            bucket,
            keyring,
            spec,
            o,
            reads[i],
            (plaintext) => decompressInto(plaintext, spec.compression, createWriteStream(files[i], { mode: 0o600 })),
            stop.signal,
          ),
        ),
      );
      // Both end before the work files are removed; the database's failure says more than the download stopped for it.
      const [prepared, downloaded] = await Promise.allSettled([preparing, downloads]);
      if (prepared.status === 'rejected') throw prepared.reason;
      if (downloaded.status === 'rejected') throw downloaded.reason;
      const pgRestore = (file: string, jobs: number, section?: string) =>
        runToCompletion(spec.tools.pgRestore, [...restoreArgs(jobs, section), file], env, {
          signal: spec.signal,
        });
      const jobs = config.verify.restoreJobs;
      if (files.length === 1) {
        await pgRestore(files[0], jobs);
        return;
      }
      // A parallel backup: the main dump's schema, then every table's rows from all dumps at
      // once (the parts hold data only), then the main dump's indexes and constraints.
      await pgRestore(files[0], 1, 'pre-data');
      const perFile = Math.max(1, Math.ceil(jobs / files.length));
      await Promise.all(files.map((f, i) => pgRestore(f, perFile, i === 0 ? 'data' : undefined)));
      await pgRestore(files[0], jobs, 'post-data');
    } finally {
      await Promise.all(files.map((f) => rm(f, { force: true })));
    }
  } finally {
    clearInterval(ticker);
    progress.storedBytes = reads.reduce((n, r) => n + r.bytes, 0);
  }
}

/**
 * Opens one stored object, checks it against the manifest as it streams (when there is one)
 * and hands its decrypted bytes to `use`; the object is closed whatever happens.
 */
async function withPlaintext<T>(
  bucket: Bucket,
  keyring: Keyring,
  spec: LoadSpec,
  object: { key: string; expected?: ExpectedObject },
  read: { bytes: number },
  use: (plaintext: Readable) => Promise<T>,
  stop?: AbortSignal,
): Promise<T> {
  stop?.throwIfAborted();
  const body = await openStoredObject(bucket, object.key);
  const where = `data object ${bucket.where(object.key)}`;
  const counted = object.expected ? new IntegrityCheck(object.expected, where) : new Measure();
  const ticker = setInterval(() => (read.bytes = counted.bytes), 500);
  const onStop = () => body.destroy(new Error(`the download of ${where} was stopped`));
  stop?.addEventListener('abort', onStop, { once: true });
  if (stop?.aborted) onStop();
  try {
    const stored: Readable = streamPipeline(body, counted, () => undefined);
    const decrypted = await openDecryption(stored, { keyring, keyId: spec.keyId });
    return await use(decrypted.plaintext);
  } finally {
    stop?.removeEventListener('abort', onStop);
    clearInterval(ticker);
    read.bytes = counted.bytes;
    body.destroy();
  }
}
