/**
 * With the keys and the bucket and nothing else (no Temporal, no worker): `pgwarden decrypt`
 * turns a stored object back into what PostgreSQL's tools wrote, `pgwarden wal fetch` serves
 * archived WAL to a recovery as its restore_command, and `pgwarden wal push` archives WAL as
 * a server's archive_command.
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Config } from '../../../infra/config/config';
import { encryptorFor } from '../../../infra/crypto/encryptor';
import { proveActiveKey } from '../../../infra/crypto/key-proof';
import { Keyring } from '../../../infra/crypto/keyring';
import { BackupNotFoundError, IntegrityError, UsageError, WalFetchError } from '../../../infra/errors/errors';
import { Bucket } from '../../../infra/storage/bucket';
import { topLevel } from '../../../infra/storage/layout';
import { formatBytes } from '../../../operations/backup/progress';
import { decryptObject, manifestKeyOf, recordedSha256 } from '../../../operations/by-hand/decrypt-object';
import { fetchWalFile } from '../../../operations/by-hand/fetch-wal-file';
import { isSegmentName, parseHistoryFileName } from '../../../operations/pitr/wal-names';
import { pushWalFile } from '../../../operations/pitr/wal-push';
import { CommandContext } from '../context';
import { closedForGood } from '../../../infra/streams/closed';

export interface DecryptOptions {
  file?: string;
  out?: string;
  keepCompression?: boolean;
}

export async function runDecrypt(ctx: CommandContext, key: string | undefined, options: DecryptOptions): Promise<void> {
  if ((key === undefined) === (options.file === undefined))
    throw new UsageError('name one object: a key of the bucket (pgwarden decrypt KEY) or a downloaded copy (--file PATH)');
  const toStdout = options.out === undefined || options.out === '-';
  if (toStdout && process.stdout.isTTY)
    throw new UsageError('the output is binary: pass --out FILE, or pipe it (pgwarden decrypt KEY | pg_restore ...)');
  if (!toStdout && existsSync(options.out!)) throw new UsageError(`--out ${options.out}: exists; name a new file`);
  const config = ctx.config(key === undefined ? ['encryption'] : ['storage', 'encryption']);
  const keyring = Keyring.from(config.encryption);

  let source: Readable;
  let where: string;
  let recorded: { sha256: string; in: string } | undefined;
  if (options.file !== undefined) {
    if (!existsSync(options.file)) throw new BackupNotFoundError(`--file ${options.file}: no such file`);
    source = createReadStream(options.file);
    where = options.file;
  } else {
    const bucket = new Bucket(config.storage!);
    const found = await openObject(bucket, config.storage!.prefix, key!);
    recorded = await recordedChecksum(bucket, found.key);
    source = found.source;
    where = bucket.where(found.key);
  }

  const aside = `${options.out}.part`;
  const into: Writable = toStdout ? process.stdout : createWriteStream(aside, { mode: 0o600 });
  try {
    const done = await decryptObject(source, basename(where), keyring, into, {
      keepCompression: options.keepCompression,
      end: !toStdout,
    });
    // CBC has no authentication of its own: the manifest's checksum is what says the bytes are the backup's.
    if (recorded && recorded.sha256 !== done.storedSha256)
      throw new IntegrityError(
        `${where}: SHA-256 ${done.storedSha256}, but ${recorded.in} records ${recorded.sha256}: the object is damaged or was replaced${toStdout ? ' (what was written to stdout is not the backup)' : ''}; use another backup`,
      );
    if (!toStdout) renameSync(aside, options.out!);
    process.stderr.write(
      `decrypted ${where} (${done.container}${done.decompressed === 'none' ? '' : `, ${done.decompressed} undone`}): ` +
        `${formatBytes(done.storedBytes)} stored, SHA-256 ${done.storedSha256} ` +
        `${recorded ? `as ${recorded.in} records` : '(no manifest records it: compare it with yours)'}; ` +
        `${formatBytes(done.plainBytes)} written to ${toStdout ? 'stdout' : options.out}\n`,
    );
  } finally {
    if (!toStdout) {
      // A failure before the file was open would otherwise make it after this removal.
      await closedForGood(into);
      rmSync(aside, { force: true });
    }
  }
}

/** The object by its key as stored: as given, or with S3_PREFIX put before it when it was left out. */
async function openObject(bucket: Bucket, prefix: string, key: string): Promise<{ key: string; source: Readable }> {
  const prefixed = topLevel(prefix);
  for (const candidate of key.startsWith(prefixed) ? [key] : [key, `${prefixed}${key}`]) {
    const source = await bucket.open(candidate);
    if (source) return { key: candidate, source };
  }
  throw new BackupNotFoundError(
    `${bucket.where(key)} does not exist; give the key as the bucket lists it (pgwarden restore --list and pgwarden pitr list name the backups)`,
  );
}

/** The SHA-256 the object's manifest records for it, if a manifest names it. */
async function recordedChecksum(bucket: Bucket, key: string): Promise<{ sha256: string; in: string } | undefined> {
  const manifestKey = manifestKeyOf(key);
  const text = manifestKey ? await bucket.getText(manifestKey) : undefined;
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // a damaged manifest: the object is still worth decrypting
  }
  const sha256 = recordedSha256(parsed, key);
  return sha256 ? { sha256, in: manifestKey!.split('/').slice(-2).join('/') } : undefined;
}

/**
 * As a restore_command (`pgwarden wal fetch %f %p --server ID`): exit 0 with the file at
 * `path`; 66 when the archive does not hold it (recovery takes that for the end of the WAL);
 * 126 on anything else, so PostgreSQL stops recovering rather than end early and promote
 * without WAL it could not read. The one line on stderr goes to the server's log.
 */
export async function runWalFetch(
  ctx: CommandContext,
  fileName: string,
  path: string,
  options: { server?: string },
): Promise<void> {
  try {
    // By name alone: parseSegmentName would assume 16 MiB segments, and a smaller size's names refused here would end recovery early.
    if (!isSegmentName(fileName.replace(/\.partial$/, '')) && parseHistoryFileName(fileName) === undefined)
      throw new BackupNotFoundError(`${fileName}: not a WAL file pgwarden archives`);
    const config = ctx.config(['storage', 'encryption']);
    const server = walServer(config, options.server);
    const bucket = new Bucket(config.storage!);
    const fetched = await fetchWalFile(
      { bucket, keyring: Keyring.from(config.encryption), prefix: config.storage!.prefix },
      server,
      fileName,
      path,
    );
    if (!fetched) throw new BackupNotFoundError(`${fileName} is not in the WAL archive of ${server}`);
    process.stderr.write(
      `fetched ${fileName}${fetched.partial ? ' (as far as it was archived: its .partial)' : ''}, ${formatBytes(fetched.bytes)}\n`,
    );
  } catch (err) {
    if (err instanceof BackupNotFoundError) throw err;
    const { describeFailure } = await import('../failure');
    throw new WalFetchError(`${describeFailure(err).lines.join('; ')} (recovery stops here; start the server again once fixed)`, {
      cause: err,
    });
  }
}

/**
 * As an archive_command (`pgwarden wal push %p --server ID`): exit 0 once the file is in the
 * bucket (or was, with the same bytes); anything else and PostgreSQL keeps the file and tries
 * again. The one line on stderr goes to the server's log.
 */
export async function runWalPush(ctx: CommandContext, path: string, options: { server?: string }): Promise<void> {
  const config = ctx.config(['storage', 'encryption']);
  const server = walServer(config, options.server);
  const bucket = new Bucket(config.storage!);
  const keyring = Keyring.from(config.encryption);
  const pushed = await pushWalFile(
    {
      bucket,
      keyring,
      prefix: config.storage!.prefix,
      server,
      compression: config.backup.compression,
      encryption: encryptorFor(keyring),
      storageClass: config.storage!.storageClass,
    },
    path,
    () => proveActiveKey(bucket, keyring),
  );
  if (pushed.outcome === 'skipped') return void process.stderr.write(`not archived ${pushed.name}: ${pushed.why}\n`);
  const sizes = `(${formatBytes(pushed.sealed.plainBytes)}, ${formatBytes(pushed.sealed.body.length)} stored) in ${bucket.where(pushed.key)}`;
  process.stderr.write(
    pushed.outcome === 'stored'
      ? `archived ${pushed.name} ${sizes}\n`
      : `${pushed.name} was archived already, with the same bytes ${sizes}\n`,
  );
}

/** The server given, or the only one of WAL_ARCHIVE; by hand WAL_ARCHIVE may be unset, then --server is needed. */
function walServer(config: Config, given: string | undefined): string {
  if (given) return given;
  if (config.wal.servers.length === 1) return config.wal.servers[0];
  throw new UsageError(
    config.wal.servers.length
      ? `several servers are archived (${config.wal.servers.join(', ')}); pass --server ID`
      : 'pass --server ID: the server whose WAL archive this is (its WAL_ARCHIVE name)',
  );
}
