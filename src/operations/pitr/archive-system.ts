/**
 * Which cluster a server's WAL archive belongs to: the system identifier of its newest segment
 * (or, in an archive that has none completed yet, of its newest open-segment copy), recorded
 * with the object, or, for one stored before that was recorded, read from its first page (one
 * download).
 */
import type { Keyring } from '../../infra/crypto/keyring';
import type { Bucket } from '../../infra/storage/bucket';
import { walFileOf, walFolder } from '../../infra/storage/layout';
import { segmentSystemIdentifier, WAL_SYSTEM_ID } from './system-identifier';
import { newestSegment } from './wal-names';
import { openWalFile } from './wal-object';

/** Where the WAL archives are, and the keys to read them. */
export interface ArchiveAccess {
  bucket: Bucket;
  keyring: Keyring;
  prefix: string;
}

/**
 * The newest completed segment in the archive of `server`, by name; undefined for an empty
 * archive. A whole listing, once per round at most; given the newest known before (`after`),
 * only the keys past it are listed.
 */
export async function newestInArchive(
  from: ArchiveAccess,
  server: string,
  segmentBytes: number,
  after?: string,
): Promise<string | undefined> {
  const folder = walFolder(from.prefix, server);
  const listed = await from.bucket.list(folder, after && `${folder}${after}`);
  const names = listed.map((o) => walFileOf(o.key)?.fileName ?? '');
  return newestSegment(after ? [after, ...names] : names, segmentBytes)?.name;
}

/**
 * The system identifier of the archive of `server`: of `segment` when the caller knows the
 * newest, else of the newest found by listing. undefined for an empty archive, or an open
 * copy nothing was written to yet.
 */
export async function archivedSystem(
  from: ArchiveAccess,
  server: string,
  segmentBytes: number,
  segment?: string,
): Promise<string | undefined> {
  const folder = walFolder(from.prefix, server);
  const files = (await from.bucket.list(segment ? `${folder}${segment}` : folder)).map((o) => ({
    key: o.key,
    name: walFileOf(o.key)?.fileName ?? '',
  }));
  const names = files.map((f) => f.name);
  const open = newestSegment(
    names.filter((n) => n.endsWith('.partial')).map((n) => n.slice(0, -'.partial'.length)),
    segmentBytes,
  );
  const name = segment ?? newestSegment(names, segmentBytes)?.name ?? (open && `${open.name}.partial`);
  const stored = name && files.find((f) => f.name === name);
  if (!stored) return undefined;
  const recorded = (await from.bucket.head(stored.key))?.Metadata?.[WAL_SYSTEM_ID];
  if (recorded) return recorded;
  const plain = await openWalFile(from.bucket, stored.key, from.keyring);
  return plain && segmentSystemIdentifier(plain, segmentBytes);
}
