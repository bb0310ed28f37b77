/**
 * A scratch cluster archiving through `pgwarden wal push %p`, as the README sets it up: the
 * command, setting it (a reload), a push env file with a wrong key, and what pg_stat_archiver
 * reports, waited on.
 */
import { join } from 'node:path';
import { repoRoot } from '../../devstack/paths';
import { Keyring } from '../../src/infra/crypto/keyring';
import type { EncryptionConfig } from '../../src/infra/config/encryption';
import { byHandConfig } from './by-hand';
import type { ScratchCluster } from './scratch-cluster';

export interface ArchiverRow {
  archived: number;
  failed: number;
  last: string | null;
  lastFailed: string | null;
}

/** The archive_command that pushes with the env file `config` into the archive of `server`. */
export const pushCommand = (config: string, server: string) =>
  `'${process.execPath}' '${join(repoRoot, 'bin', 'pgwarden')}' --config '${config}' wal push %p --server ${server}`;

export async function setArchiveCommand(cluster: ScratchCluster, command: string): Promise<void> {
  await cluster.query(`ALTER SYSTEM SET archive_command = '${command.replace(/'/g, "''")}'`);
  await cluster.query('SELECT pg_reload_conf()');
}

/** A push env file at `path` with another key under the active key's id: every push exits 4. */
export const wrongKeyConfig = (path: string, encryption: EncryptionConfig | undefined) =>
  byHandConfig(path, {
    BACKUP_ENCRYPTION_KEY: 'ab'.repeat(32),
    BACKUP_ENCRYPTION_KEY_ID: Keyring.from(encryption).activeKeyId,
  });

export async function archiverRow(cluster: ScratchCluster): Promise<ArchiverRow> {
  const [row] = await cluster.query<ArchiverRow>(
    'SELECT archived_count::int AS archived, failed_count::int AS failed, last_archived_wal AS last, last_failed_wal AS "lastFailed" FROM pg_stat_archiver',
  );
  return row;
}

/** Polls pg_stat_archiver every 100 ms until `done`; fails naming `what` and the last row after `seconds`. */
export async function waitForArchiver(
  cluster: ScratchCluster,
  done: (row: ArchiverRow) => boolean,
  what: string,
  seconds: number,
): Promise<ArchiverRow> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const row = await archiverRow(cluster);
    if (done(row)) return row;
    if (Date.now() > deadline) throw new Error(`${what} within ${seconds} s: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
