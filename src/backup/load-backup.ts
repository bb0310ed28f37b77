/**
 * Loads a stored backup into an existing, empty database: download, decrypt, then a parallel
 * pg_restore (the custom format needs a seekable file, removed right after) or gunzip into
 * psql for plain SQL and the old scripts' backups. Used by restores and test restores alike.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { libpqEnvironment } from '../clients/postgres';
import { Config } from '../config/config';
import { DatabaseTarget } from '../config/databases';
import { openDecryption } from '../crypto/decrypt';
import { Keyring } from '../crypto/keyring';
import { pgProgram } from '../postgres/binaries';
import { runToCompletion } from '../process/spawn-stream';
import { openStoredObject } from './read-object';

export interface LoadSpec {
  server: DatabaseTarget;
  database: string;
  dataKey: string;
  /** The key id from the manifest; absent for the old scripts' backups. */
  keyId?: string;
  format: 'custom' | 'plain-gz';
  /** Skip GRANT/REVOKE (a throw-away test restore needs no privileges of absent roles). */
  noAcl?: boolean;
  signal: AbortSignal;
}

export async function loadBackup(s3: S3Client, config: Config, spec: LoadSpec): Promise<void> {
  const keyring = Keyring.from(config.encryption);
  const decrypted = await openDecryption(await openStoredObject(s3, config.storage!, spec.dataKey), { keyring, keyId: spec.keyId });
  const env = libpqEnvironment(spec.server, spec.database);
  if (spec.format === 'plain-gz') {
    await runToCompletion(pgProgram('psql', config.tools.pgBinDir), ['-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${spec.database}`], env, { stdin: decrypted.plaintext.pipe(createGunzip()), signal: spec.signal });
    return;
  }
  const file = join(config.verify.workDir, `${spec.database}.dump`);
  try {
    await pipeline(decrypted.plaintext, createWriteStream(file, { mode: 0o600 }));
    const args = ['--no-owner', ...(spec.noAcl ? ['--no-acl'] : []), '--exit-on-error', `--jobs=${config.verify.restoreJobs}`, `--dbname=${spec.database}`, file];
    await runToCompletion(pgProgram('pg_restore', config.tools.pgBinDir), args, env, { signal: spec.signal });
  } finally {
    await rm(file, { force: true });
  }
}
