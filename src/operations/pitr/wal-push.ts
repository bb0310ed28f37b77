/**
 * `pgwarden wal push %p` as a server's archive_command: PostgreSQL's own archiver hands over
 * each completed WAL file, which is stored as the streaming archiver stores it (wal-store.ts).
 * Beside streaming it keeps WAL reaching the bucket while the worker or Temporal is down;
 * PostgreSQL keeps a file and tries again until the command exits 0, so nothing is skipped.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { WalArchiveError } from '../../infra/errors/errors';
import { walFileOf, walFolder, walKey } from '../../infra/storage/layout';
import { ArchiveAccess, archivedSystem } from './archive-system';
import { otherClusterProblem } from './system-identifier';
import { isSegmentName, parseHistoryFileName, parseSegmentName, segmentName } from './wal-names';
import { openWalFile, sealWalFile, WAL_PLAIN_SHA256 } from './wal-object';
import { otherContents, StoredWal, storeSealed, WalStore } from './wal-store';

export type WalPushPlan =
  | { kind: 'segment'; segmentBytes: number }
  | { kind: 'history' }
  /** Files PostgreSQL archives that no recovery of pgwarden's reads. */
  | { kind: 'skip'; why: string }
  | { kind: 'refuse'; why: string };

const MIN_SEGMENT = 1024 * 1024;
const MAX_SEGMENT = 1024 * 1024 * 1024;

/** What to do with the file PostgreSQL asks to archive, by its name and size. Pure. */
export function walPushPlan(name: string, bytes: number): WalPushPlan {
  if (parseHistoryFileName(name) !== undefined) return { kind: 'history' };
  if (/^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$/.test(name))
    return { kind: 'skip', why: 'a backup history file (the base backup manifests record the same)' };
  // After a promotion the old timeline's last segment is archived as X.partial; the new timeline's first segment holds the same WAL.
  if (/^[0-9A-F]{24}\.partial$/.test(name))
    return {
      kind: 'skip',
      why: "the old timeline's last segment after a promotion (the new timeline's first one holds its WAL)",
    };
  if (!isSegmentName(name)) return { kind: 'refuse', why: `${name}: not a WAL file (archive_command passes %p)` };
  // PostgreSQL only archives whole segments, whose size is the cluster's wal_segment_size: a power of two from 1 MiB to 1 GiB.
  if (bytes < MIN_SEGMENT || bytes > MAX_SEGMENT || (bytes & (bytes - 1)) !== 0 || !parseSegmentName(name, bytes))
    return { kind: 'refuse', why: `${name}: ${bytes} bytes is not a whole WAL segment` };
  return { kind: 'segment', segmentBytes: bytes };
}

export type WalPushResult = ({ outcome: 'skipped'; why: string } | StoredWal) & { name: string };

/**
 * Stores the WAL file at `path` in the archive of `to.server`, after the checks the streaming
 * archiver makes before it starts: the key is the one the bucket knows (`proveKey`), and a
 * segment comes from the cluster the archive belongs to.
 */
export async function pushWalFile(
  to: WalStore & ArchiveAccess,
  path: string,
  proveKey: () => Promise<unknown>,
): Promise<WalPushResult> {
  const name = basename(path);
  const plan = walPushPlan(name, (await stat(path)).size);
  if (plan.kind === 'refuse') throw new WalArchiveError(plan.why);
  if (plan.kind === 'skip') return { outcome: 'skipped', why: plan.why, name };
  const segmentBytes = plan.kind === 'segment' ? plan.segmentBytes : undefined;
  await proveKey();
  const sealed = await sealWalFile(path, to.compression, to.encryption.create, segmentBytes ?? MIN_SEGMENT);
  if (segmentBytes && sealed.systemIdentifier) {
    const problem = otherClusterProblem(await archiveSystemBefore(to, name, segmentBytes), sealed.systemIdentifier);
    if (problem) throw new WalArchiveError(`${to.server}: ${problem}`);
  }
  // A push configured with another compression than the worker's would store the file a second time under another suffix.
  const elsewhere = await storedUnderAnotherSuffix(to, name);
  if (elsewhere) {
    if (elsewhere.sha256 !== sealed.plainSha256) throw otherContents(to, elsewhere.key, name);
    return { key: elsewhere.key, sealed, outcome: 'already', name };
  }
  return { ...(await storeSealed(to, sealed, name)), name };
}

/** The file as stored under another compression's suffix, with the SHA-256 of its plain bytes. */
async function storedUnderAnotherSuffix(to: WalStore & ArchiveAccess, name: string) {
  const ours = walKey(to.prefix, to.server, name, to.compression);
  const key = (await to.bucket.list(`${walFolder(to.prefix, to.server)}${name}`))
    .map((o) => o.key)
    .find((k) => k !== ours && walFileOf(k)?.fileName === name);
  if (!key) return undefined;
  const recorded = (await to.bucket.head(key))?.Metadata?.[WAL_PLAIN_SHA256];
  // Archived before the SHA-256 was recorded: read it.
  const sha256 =
    recorded ??
    createHash('sha256')
      .update((await openWalFile(to.bucket, key, to.keyring)) ?? '')
      .digest('hex');
  return { key, sha256 };
}

/**
 * The archive's cluster as the segment before `name` records it (one small listing, as each
 * push follows the one before), or as the newest segment does when that one is not there.
 */
async function archiveSystemBefore(from: ArchiveAccess & { server: string }, name: string, segmentBytes: number) {
  const segment = parseSegmentName(name, segmentBytes)!;
  const before = segment.segno > 0n ? segmentName({ ...segment, segno: segment.segno - 1n }, segmentBytes) : undefined;
  return (
    (before && (await archivedSystem(from, from.server, segmentBytes, before))) ??
    (await archivedSystem(from, from.server, segmentBytes))
  );
}
