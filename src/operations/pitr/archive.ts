/**
 * What a server's point-in-time archive holds, read from the bucket: its base backups (by
 * their manifests) and its WAL (completed segments, the open segment's copy, timeline
 * histories). Read by restores and by the daily check.
 */
import type { Keyring } from '../../infra/crypto/keyring';
import type { Bucket } from '../../infra/storage/bucket';
import { baseBackupFolder, walFileOf, walFolder } from '../../infra/storage/layout';
import { BaseBackupManifest, parseBaseBackupManifest } from './base-backup';
import { openWalFile, WAL_WRITTEN_LSN } from './wal-object';
import { pitrCheck, PitrStatus } from './window';
import { newestSegment, parseHistory, parseHistoryFileName, parseLsn, segmentEnd, TimelineSwitch } from './wal-names';

export interface ArchivedWal {
  /** Completed segments by PostgreSQL name, with their keys. */
  segments: Map<string, string>;
  /** The open segments' copies by segment name. */
  partials: Map<string, string>;
  histories: Map<number, TimelineSwitch[]>;
  historyKeys: Map<string, string>;
  /** When the newest WAL object was stored (ms since the epoch); null for an empty archive. */
  newestStoredAt: number | null;
}

export async function baseBackups(bucket: Bucket, prefix: string, server: string): Promise<BaseBackupManifest[]> {
  const listed = await bucket.list(baseBackupFolder(prefix, server));
  const out: BaseBackupManifest[] = [];
  for (const o of listed.filter((x) => x.key.endsWith('.json')))
    out.push(parseBaseBackupManifest((await bucket.getText(o.key))!, o.key));
  return out;
}

/** The archive's completed segments and histories by PostgreSQL name, and its open segments' copies. */
export async function archivedWal(bucket: Bucket, keyring: Keyring, prefix: string, server: string): Promise<ArchivedWal> {
  const segments = new Map<string, string>();
  const partials = new Map<string, string>();
  const historyKeys = new Map<string, string>();
  let newestStoredAt: number | null = null;
  for (const o of await bucket.list(walFolder(prefix, server))) {
    const f = walFileOf(o.key);
    if (!f) continue;
    if (o.lastModified) newestStoredAt = Math.max(newestStoredAt ?? 0, o.lastModified.getTime());
    if (f.fileName.endsWith('.partial')) partials.set(f.fileName.slice(0, -'.partial'.length), o.key);
    else if (parseHistoryFileName(f.fileName) !== undefined) historyKeys.set(f.fileName, o.key);
    else segments.set(f.fileName, o.key);
  }
  const histories = new Map<number, TimelineSwitch[]>();
  for (const [name, key] of historyKeys) {
    const text = (await openWalFile(bucket, key, keyring))!.toString('utf8');
    histories.set(parseHistoryFileName(name)!, parseHistory(text));
  }
  return { segments, partials, histories, historyKeys, newestStoredAt };
}

/** A server's base backups and archived WAL, read together. */
export async function readArchive(
  bucket: Bucket,
  keyring: Keyring,
  prefix: string,
  server: string,
): Promise<{ bases: BaseBackupManifest[]; wal: ArchivedWal }> {
  const [bases, wal] = await Promise.all([baseBackups(bucket, prefix, server), archivedWal(bucket, keyring, prefix, server)]);
  return { bases, wal };
}

/** The point-in-time archive judged as the daily check and the report show it. */
export async function archiveStatus(bucket: Bucket, keyring: Keyring, prefix: string, server: string): Promise<PitrStatus> {
  const { bases, wal } = await readArchive(bucket, keyring, prefix, server);
  return pitrCheck(server, bases, { segments: wal.segments.keys(), histories: wal.histories });
}

/** How far the bucket holds WAL: the newest completed segment's end, or further, what the newest open segment's copy holds. */
export async function archivedUpTo(bucket: Bucket, wal: ArchivedWal, segmentBytes: number): Promise<bigint | null> {
  const completed = newestSegment(wal.segments.keys(), segmentBytes);
  let upTo = completed ? segmentEnd(completed.segment.segno, segmentBytes) : null;
  const partial = newestSegment(wal.partials.keys(), segmentBytes);
  if (partial) {
    const written = (await bucket.head(wal.partials.get(partial.name)!))?.Metadata?.[WAL_WRITTEN_LSN];
    if (written && (upTo === null || parseLsn(written) > upTo)) upTo = parseLsn(written);
  }
  return upTo;
}
