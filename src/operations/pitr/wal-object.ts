/**
 * One WAL file as pgwarden stores it: compressed and encrypted like the dumps (same container,
 * same key ring), whole in memory (a segment is 16 MiB by default), with the SHA-256 of its
 * plain bytes kept in the object's metadata, so a second upload of the same segment can be
 * told from a different one without decrypting anything.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionPolicy } from '../../infra/compression/compression';
import { compressor, decompressor } from '../../infra/compression/streams';
import { openDecryption } from '../../infra/crypto/decrypt';
import type { Keyring } from '../../infra/crypto/keyring';
import type { Bucket } from '../../infra/storage/bucket';
import { walFileOf } from '../../infra/storage/layout';
import { closedForGood } from '../../infra/streams/closed';
import { Measure } from '../../infra/streams/measure';
import { SEGMENT_HEADER_BYTES, segmentSystemIdentifier } from './system-identifier';

export interface SealedWal {
  body: Buffer;
  /** SHA-256 of the file as PostgreSQL wrote it. */
  plainSha256: string;
  plainBytes: number;
  /** The cluster a segment came from (its first page header); undefined for a history file or an empty segment. */
  systemIdentifier?: string;
}

/** Metadata key of the plain bytes' SHA-256. */
export const WAL_PLAIN_SHA256 = 'pgwarden-wal-sha256';
/** Metadata key of an open segment's copy: how far pg_receivewal had written when it was taken. */
export const WAL_WRITTEN_LSN = 'pgwarden-wal-written-lsn';

export async function sealWalFile(
  path: string,
  compression: CompressionPolicy,
  encryptor: () => Transform,
  segmentBytes: number,
): Promise<SealedWal> {
  const plain = new Measure({ hash: true, md5: false });
  const chunks: Buffer[] = [];
  let first: Buffer | undefined;
  await pipeline([
    createReadStream(path),
    new Transform({
      transform(chunk: Buffer, _e, done) {
        // A file read starts with a whole chunk of 64 KiB (or the whole file): the header is in it.
        first ??= chunk.subarray(0, SEGMENT_HEADER_BYTES);
        done(null, chunk);
      },
    }),
    plain,
    ...compressor(compression),
    encryptor(),
    new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk);
        done();
      },
    }),
  ]);
  const systemIdentifier = first && !path.endsWith('.history') ? segmentSystemIdentifier(first, segmentBytes) : undefined;
  return {
    body: Buffer.concat(chunks),
    plainSha256: plain.sha256Digest(),
    plainBytes: plain.bytes,
    ...(systemIdentifier ? { systemIdentifier } : {}),
  };
}

/**
 * The open segment's file sealed, or undefined when it is gone: pg_receivewal renames `X.partial`
 * to `X` when the segment completes, which can fall between the archiver's look at its folder and
 * this read. The completed file is shipped whole at the next look, so nothing is missed.
 */
export async function sealOpenSegment(
  path: string,
  compression: CompressionPolicy,
  encryptor: () => Transform,
  segmentBytes: number,
): Promise<SealedWal | undefined> {
  return sealWalFile(path, compression, encryptor, segmentBytes).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

/** A stored WAL file's plain bytes (what PostgreSQL wrote), or undefined when the object is missing. */
export async function openWalFile(bucket: Bucket, key: string, keyring: Keyring): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  const found = await readWalFile(bucket, key, keyring, () => [
    new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk);
        done();
      },
    }),
  ]);
  return found ? Buffer.concat(chunks) : undefined;
}

/**
 * Writes a stored WAL file's plain bytes to `path` as they are decrypted, never whole in
 * memory (a recovery fetches several at once); returns the bytes written, or undefined when
 * the object is missing (nothing written).
 */
export async function saveWalFile(bucket: Bucket, key: string, keyring: Keyring, path: string): Promise<number | undefined> {
  const written = new Measure();
  const found = await readWalFile(bucket, key, keyring, () => [written, createWriteStream(path, { mode: 0o600 })]);
  return found ? written.bytes : undefined;
}

/**
 * saveWalFile, also hashing what it writes: the read-back compares the SHA-256 with the one
 * taken at archiving. Undefined when the object is missing (nothing written).
 */
export async function saveWalFileHashed(
  bucket: Bucket,
  key: string,
  keyring: Keyring,
  path: string,
): Promise<{ bytes: number; sha256: string } | undefined> {
  const written = new Measure({ hash: true, md5: false });
  const found = await readWalFile(bucket, key, keyring, () => [written, createWriteStream(path, { mode: 0o600 })]);
  return found ? { bytes: written.bytes, sha256: written.sha256Digest() } : undefined;
}

/** Decrypts and decompresses one stored WAL file through `into` (made once it is found); false when it is missing. */
async function readWalFile(bucket: Bucket, key: string, keyring: Keyring, into: () => Writable[]): Promise<boolean> {
  const file = walFileOf(key);
  if (!file) throw new Error(`${key} is not an archived WAL file`);
  const body = await bucket.open(key);
  if (!body) return false;
  const decrypted = await openDecryption(body, { keyring });
  const sinks = into();
  await pipeline([decrypted.plaintext, ...decompressor(file.compression), ...sinks]).catch(async (err: unknown) => {
    // A small object refused at once fails before its file is open: the caller's clean-up must come after.
    await Promise.all(sinks.map(closedForGood));
    throw err;
  });
  return true;
}
