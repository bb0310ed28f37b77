/**
 * One completed WAL file (a segment or a timeline history) into a server's archive, the same
 * way whoever sends it: the streaming archiver (pg_receivewal's files) or PostgreSQL's own
 * archiver (`pgwarden wal push`). Created with If-None-Match, so a file is never overwritten:
 * the same bytes a second time are fine (a retry whose reply was lost, or both paths sending
 * one segment); other bytes under that name stop archiving, since two clusters would be
 * writing one archive.
 */
import type { Transform } from 'node:stream';
import type { CompressionPolicy } from '../../infra/compression/compression';
import type { EncryptionFacts } from '../../infra/crypto/encryptor';
import { WalArchiveError } from '../../infra/errors/errors';
import type { Bucket, PutOptions } from '../../infra/storage/bucket';
import { walKey } from '../../infra/storage/layout';
import { WAL_SYSTEM_ID } from './system-identifier';
import { SealedWal, sealWalFile, WAL_PLAIN_SHA256 } from './wal-object';

export interface WalStore {
  bucket: Bucket;
  prefix: string;
  server: string;
  compression: CompressionPolicy;
  encryption: { facts: EncryptionFacts; create: () => Transform };
  storageClass?: string;
}

export interface StoredWal {
  key: string;
  sealed: SealedWal;
  /** 'already': the archive held the same bytes under this name. */
  outcome: 'stored' | 'already';
}

/** Stores the completed WAL file at `path` as `name`; the open segment's copy of it, now superseded, goes. */
export async function storeWalFile(to: WalStore, path: string, name: string, segmentBytes: number): Promise<StoredWal> {
  const sealed = await sealWalFile(path, to.compression, to.encryption.create, segmentBytes);
  return storeSealed(to, sealed, name);
}

/** Stores a WAL file sealed already (sealWalFile). */
export async function storeSealed(to: WalStore, sealed: SealedWal, name: string): Promise<StoredWal> {
  const key = walKey(to.prefix, to.server, name, to.compression);
  const written = await to.bucket.create(key, sealed.body, walObjectOptions(to, sealed));
  if (written === 'exists') {
    const head = await to.bucket.head(key);
    if (head?.Metadata?.[WAL_PLAIN_SHA256] !== sealed.plainSha256) throw otherContents(to, key, name);
  }
  await to.bucket.delete(walKey(to.prefix, to.server, `${name}.partial`, to.compression));
  return { key, sealed, outcome: written === 'written' ? 'stored' : 'already' };
}

/** What every stored WAL object carries (the open segment's copy adds how far it was written: `extra`). */
export function walObjectOptions(to: WalStore, sealed: SealedWal, extra: Record<string, string> = {}): PutOptions {
  return {
    metadata: {
      [WAL_PLAIN_SHA256]: sealed.plainSha256,
      'pgwarden-key-id': to.encryption.facts.keyId,
      'pgwarden-algorithm': to.encryption.facts.algorithm,
      ...(sealed.systemIdentifier ? { [WAL_SYSTEM_ID]: sealed.systemIdentifier } : {}),
      ...extra,
    },
    tags: { 'pgwarden-kind': 'wal', 'pgwarden-server': to.server },
    storageClass: to.storageClass,
  };
}

/** The refusal when `key` holds other bytes for WAL file `name` than the ones being stored. */
export function otherContents(to: Pick<WalStore, 'bucket' | 'server'>, key: string, name: string): WalArchiveError {
  return new WalArchiveError(
    `${to.bucket.where(key)} already holds different contents for WAL file ${name}; it is kept as it is and archiving stops: is another cluster archiving as "${to.server}"?`,
  );
}
