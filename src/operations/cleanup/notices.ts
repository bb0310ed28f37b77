/** What a cleanup tells people: what it removed and kept, or why it failed. */
import { cancelledIf, factIf, failedOrCancelled, type Notice, type RunFailed } from '../../infra/notify/notice';
import { HELD } from './retention';

export interface CleanupReport {
  database: string;
  dryRun: boolean;
  kept: Array<{ backupId: string; reasons: string[] }>;
  locked: Array<{ backupId: string; until: string }>;
  deleted: string[];
  orphansRemoved: number;
  uploadsAborted: number;
  lifecycle: string;
  warnings: string[];
  workflowId: string;
  /** A server in WAL_ARCHIVE: what its point-in-time archive kept and lost (absent otherwise and in older runs). */
  archive?: ArchiveCleanup;
  /** Run records older than RECORDS_KEEP_DAYS: removed (or, in a dry run, to be removed); absent in older runs. */
  runRecords?: { count: number; olderThanDays: number };
}

export interface ArchiveCleanup {
  baseBackupsKept: string[];
  baseBackupsDeleted: string[];
  /** The oldest WAL segment kept: every kept base backup's recovery starts at or after it. */
  keepWalFrom: string | null;
  walDeleted: number;
}

export function cleanupNotice(r: CleanupReport): Notice {
  // Kept only because a restore, an incident or a drill runs (retention.ts, holdWhileRead).
  const heldBy = (k: { reasons: string[] }) => k.reasons.find((why) => why.startsWith(HELD));
  const held = r.kept.filter(heldBy);
  const attention = r.warnings.length > 0 || held.length > 0;
  return {
    event: 'cleanup.done',
    about: r.database,
    severity: attention ? 'warning' : 'info',
    title: `Cleanup of ${r.database} backups: ${r.deleted.length} deleted, ${r.kept.length} kept`,
    facts: [
      ['Database', r.database],
      ['Deleted', r.deleted.length ? r.deleted.join(', ') : 'none'],
      ['Kept', String(r.kept.length)],
      ...(r.locked.length
        ? ([['Locked (kept until)', r.locked.map((l) => `${l.backupId} until ${l.until}`).join(', ')]] as Array<[string, string]>)
        : []),
      ...(held.length
        ? ([['Held', `${held.length} backup(s) the policy would delete: ${heldBy(held[0])!.slice(HELD.length)}`]] as Array<
            [string, string]
          >)
        : []),
      ['Leftovers removed', `${r.orphansRemoved} object(s), ${r.uploadsAborted} unfinished upload(s)`],
      ...(r.runRecords?.count
        ? ([['Run records removed', `${r.runRecords.count}, older than ${r.runRecords.olderThanDays} days`]] as Array<
            [string, string]
          >)
        : []),
      ['Lifecycle', r.lifecycle],
      ...(r.archive
        ? ([
            [
              'Point-in-time archive',
              `${r.archive.baseBackupsDeleted.length} base backup(s) deleted, ${r.archive.baseBackupsKept.length} kept; ${r.archive.walDeleted} WAL file(s) deleted, WAL kept from ${r.archive.keepWalFrom ?? 'the start'}`,
            ],
          ] as Array<[string, string]>)
        : []),
      ...factIf('Warnings', r.warnings.join(' | ')),
      ['Workflow', r.workflowId],
    ],
    action: r.warnings.length
      ? 'check the warnings above'
      : held.length
        ? 'nothing to do if that run is a recovery under way; an incident or restore left open holds them until it ends'
        : undefined,
  };
}

export type CleanupFailed = RunFailed;

/** A cleanup that stopped: nobody watches a monthly run, so its failure is an alert. */
export function cleanupFailedNotice(f: CleanupFailed): Notice {
  return {
    event: 'cleanup.failed',
    about: f.database,
    ...cancelledIf(f.errorType),
    severity: 'critical',
    title: `Cleanup of ${f.database} backups ${failedOrCancelled(f.errorType)}`,
    facts: [
      ['Database', f.database],
      ['Error', `${f.errorType}: ${f.message}`],
      ['Workflow', f.workflowId],
    ],
    action: `fix the cause named above, then run pgwarden cleanup --database ${f.database} again; it goes on from where this run stopped (a backup whose manifest was deleted is gone already)`,
  };
}
