/**
 * What cleanup may remove from a server's point-in-time archive, as a plain function: base
 * backups under the same policy as dumps (keep-last, age or GFS), and then only WAL that no
 * kept base backup can use: segments before the segment the oldest kept one starts in, on any
 * timeline. Timeline histories are never removed (they are tiny, and recovery reads them
 * all). With no base backup, nothing is removed. As for dumps, the newest base backup whose
 * latest verification passed is always kept, with the WAL from it: the last one known good.
 * A kept incremental base backup keeps every one it rests on.
 */
import { decideRetention, RetentionDecision, RetentionPolicy } from '../cleanup/retention';
import type { BaseBackupManifest } from './base-backup';
import { neededByChains } from './incremental';
import { parseLsn, parseSegmentName, segmentOf } from './wal-names';

export interface ArchiveRetention {
  baseBackups: RetentionDecision[];
  /** The first segment every kept base backup's recovery may need; nothing from it on is removed. */
  keepWalFrom: string | null;
  /** Names of WAL files (segments and open-segment copies) to remove. */
  walToDelete: string[];
}

export function decideArchiveRetention(
  bases: BaseBackupManifest[],
  walNames: string[],
  policy: RetentionPolicy,
  now: Date,
  /** Base backups whose latest verification passed. */
  verified: ReadonlySet<string> = new Set(),
): ArchiveRetention {
  const policyDecisions = decideRetention(
    bases.map((b) => ({
      backupId: b.backupId,
      takenAt: new Date(b.startedAt),
      verified: verified.has(b.backupId),
      lockedUntil: null,
    })),
    policy,
    now,
  );
  // An incremental is worth nothing without every base backup it rests on: those stay while it does.
  const needed = neededByChains(bases, new Set(policyDecisions.filter((d) => d.action !== 'delete').map((d) => d.backupId)));
  const decisions = policyDecisions.map((d): RetentionDecision =>
    d.action === 'delete' && needed.has(d.backupId)
      ? { backupId: d.backupId, action: 'keep', reasons: [`incremental base backup ${needed.get(d.backupId)} rests on it`] }
      : d,
  );
  const kept = bases.filter((b) => decisions.find((d) => d.backupId === b.backupId)?.action !== 'delete');
  if (!kept.length) return { baseBackups: decisions, keepWalFrom: null, walToDelete: [] };
  const oldest = kept.reduce((a, b) => (parseLsn(a.start.lsn) <= parseLsn(b.start.lsn) ? a : b));
  const size = oldest.serverInfo.segmentBytes;
  const first = segmentOf(parseLsn(oldest.start.lsn), size);
  const walToDelete = walNames.filter((name) => {
    const segment = parseSegmentName(name.replace(/\.partial$/, ''), size);
    return segment !== undefined && segment.segno < first;
  });
  return { baseBackups: decisions, keepWalFrom: oldest.start.walFile, walToDelete: walToDelete.sort() };
}
