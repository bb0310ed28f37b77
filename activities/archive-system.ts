/**
 * Which cluster a server's WAL archive belongs to: the system identifier of its newest segment
 * (or, in an archive that has none completed yet, of its newest open-segment copy), recorded
 * with the object, or, for one stored before that was recorded, read from its first page (one
 * download).
 */
import { walFileOf, walFolder } from '../src/infra/storage/layout';
import { segmentSystemIdentifier, WAL_SYSTEM_ID } from '../src/operations/pitr/system-identifier';
import { newestSegment } from '../src/operations/pitr/wal-names';
import { openWalFile } from '../src/operations/pitr/wal-object';
import type { ActivityDeps } from './deps';

/** The newest completed segment in the archive of `server`, by name (a listing: once per round at most); undefined for an empty archive. */
export async function newestInArchive(deps: ActivityDeps, server: string, segmentBytes: number): Promise<string | undefined> {
  const names = (await deps.bucket.list(walFolder(deps.config.storage.prefix, server))).map(
    (o) => walFileOf(o.key)?.fileName ?? '',
  );
  return newestSegment(names, segmentBytes)?.name;
}

/**
 * The system identifier of the archive of `server`: of `segment` when the caller knows the
 * newest, else of the newest found by listing. undefined for an empty archive, or an open
 * copy nothing was written to yet.
 */
export async function archivedSystem(
  deps: ActivityDeps,
  server: string,
  segmentBytes: number,
  segment?: string,
): Promise<string | undefined> {
  const folder = walFolder(deps.config.storage.prefix, server);
  const files = (await deps.bucket.list(segment ? `${folder}${segment}` : folder)).map((o) => ({
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
  const recorded = (await deps.bucket.head(stored.key))?.Metadata?.[WAL_SYSTEM_ID];
  if (recorded) return recorded;
  const plain = await openWalFile(deps.bucket, stored.key, deps.keyring);
  return plain && segmentSystemIdentifier(plain, segmentBytes);
}
