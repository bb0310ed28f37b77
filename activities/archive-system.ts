/**
 * Which cluster a server's WAL archive belongs to: the system identifier of its newest segment,
 * recorded with the segment, or, for one stored before that was recorded, read from its first
 * page (one download).
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

/** The system identifier of segment `segment` in the archive of `server` (by default its newest), if any. */
export async function archivedSystem(
  deps: ActivityDeps,
  server: string,
  segmentBytes: number,
  segment?: string,
): Promise<string | undefined> {
  const name = segment ?? (await newestInArchive(deps, server, segmentBytes));
  if (!name) return undefined;
  const stored = (await deps.bucket.list(`${walFolder(deps.config.storage.prefix, server)}${name}`)).find(
    (o) => walFileOf(o.key)?.fileName === name,
  );
  if (!stored) return undefined;
  const recorded = (await deps.bucket.head(stored.key))?.Metadata?.[WAL_SYSTEM_ID];
  if (recorded) return recorded;
  const plain = await openWalFile(deps.bucket, stored.key, deps.keyring);
  return plain && segmentSystemIdentifier(plain, segmentBytes);
}
