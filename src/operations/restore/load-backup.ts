/**
 * Loads a stored backup into an existing, empty database: download, check against the
 * manifest, decrypt, then a parallel pg_restore (the custom format needs a seekable file,
 * removed right after) or gunzip into psql for plain SQL and the old scripts' backups. Used
 * by restores and test restores alike.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex, pipeline as streamPipeline, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionAlgorithm } from '../../infra/compression/compression';
import { decompressor } from '../../infra/compression/streams';
import { libpqEnvironment } from '../../infra/postgres/client';
import type { Config } from '../../infra/config/config';
import type { Bucket } from '../../infra/storage/bucket';
import { DatabaseTarget } from '../../infra/config/databases';
import { openDecryption } from '../../infra/crypto/decrypt';
import { Keyring } from '../../infra/crypto/keyring';
import { pgProgram } from '../../infra/postgres/binaries';
import { plainSqlFilter } from '../../infra/postgres/plain-filter';
import { runToCompletion } from '../../infra/process/spawn-stream';
import { Measure } from '../../infra/streams/measure';
import { ExpectedObject, IntegrityCheck } from '../verify/object-integrity';
import { openStoredObject } from './read-object';
import { privateWorkDir, RunRef, workFileName } from './work-files';

export interface LoadSpec {
  server: DatabaseTarget;
  database: string;
  dataKey: string;
  /** What the manifest recorded of the data object; absent only for the old scripts' backups. */
  expected?: ExpectedObject;
  /** The key id from the manifest; absent for the old scripts' backups. */
  keyId?: string;
  /** custom: pg_restore from a file; plain-gz (the name is historical): SQL into psql. */
  format: 'custom' | 'plain-gz';
  /** What to undo after decryption (manifest's `compression.data`; the old scripts': gzip). */
  compression: CompressionAlgorithm;
  /** Skip GRANT/REVOKE (a throw-away test restore needs no privileges of absent roles). */
  noAcl?: boolean;
  /** Skip ALTER ... OWNER TO: everything belongs to the user restoring (explicit --no-owner, test restores). */
  noOwner?: boolean;
  /** The run loading it: names the decrypted file, so the janitor can tell a dead run's. */
  run: RunRef;
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
  const body = await openStoredObject(bucket, spec.dataKey);
  const where = `data object ${bucket.where(spec.dataKey)}`;
  const counted = spec.expected ? new IntegrityCheck(spec.expected, where) : new Measure();
  const ticker = setInterval(() => (progress.storedBytes = counted.bytes), 500);
  const stored: Readable = streamPipeline(body, counted, () => undefined);
  try {
    const decrypted = await openDecryption(stored, { keyring, keyId: spec.keyId });
    const env = libpqEnvironment(spec.server, spec.database);
    if (spec.format === 'plain-gz') {
      // psql applies statements as they arrive: a mismatch found at the end fails the load,
      // and the caller drops the database it loaded into.
      const sql = chain(decrypted.plaintext, [
        ...decompressor(spec.compression),
        ...(spec.noOwner || spec.noAcl ? [plainSqlFilter({ noOwner: spec.noOwner ?? false, noAcl: spec.noAcl ?? false })] : []),
      ]);
      await runToCompletion(
        pgProgram('psql', config.tools.pgBinDir),
        ['-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${spec.database}`],
        env,
        { stdin: sql, signal: spec.signal },
      );
      return;
    }
    // The custom format is checked whole before pg_restore reads a byte of it.
    const file = join(await privateWorkDir(config.verify.workDir), workFileName(spec.run, `${spec.database}.dump`));
    try {
      await pipeline([decrypted.plaintext, ...decompressor(spec.compression), createWriteStream(file, { mode: 0o600 })]);
      const args = [
        ...(spec.noOwner ? ['--no-owner'] : []),
        ...(spec.noAcl ? ['--no-acl'] : []),
        '--exit-on-error',
        `--jobs=${config.verify.restoreJobs}`,
        `--dbname=${spec.database}`,
        file,
      ];
      await runToCompletion(pgProgram('pg_restore', config.tools.pgBinDir), args, env, { signal: spec.signal });
    } finally {
      await rm(file, { force: true });
    }
  } finally {
    clearInterval(ticker);
    progress.storedBytes = counted.bytes;
    body.destroy();
  }
}

/** A source read through transforms; errors reach the last stream, which its reader sees. */
function chain(source: Readable, transforms: Duplex[]): Readable {
  return transforms.length ? (streamPipeline([source, ...transforms], () => undefined) as unknown as Readable) : source;
}
