/** What a backup tells people when it ends: the wording of success and failure notices. */
import { OBJECTIVES } from '../config/objectives';
import type { Notice } from '../notify/notice';
import type { VerificationRecord } from './verification';
import type { FreshnessReport } from './freshness';
import { formatBytes } from './progress';

export interface BackupSucceeded {
  status: 'succeeded';
  database: string;
  backupId: string;
  dataKey: string;
  bucket: string;
  storedBytes: number;
  rawBytes: number;
  tables: number;
  durationMs: number;
  reason: string;
  workflowId: string;
}

export interface BackupFailed {
  status: 'failed';
  database: string;
  backupId: string;
  errorType: string;
  message: string;
  reason: string;
  workflowId: string;
}

export type BackupOutcome = BackupSucceeded | BackupFailed;

const ACTIONS: Record<string, string> = {
  DatabaseConnectionError:
    'check that the database server is up and that DATABASE_URL (or PG*) on the worker is right, then run pgwarden backup again',
  StorageError:
    'check the bucket (BACKUP_S3_BUCKET), the S3 credentials and S3_ENDPOINT on the worker, then run pgwarden backup again',
  EncryptionError: 'check BACKUP_ENCRYPTION_KEY / BACKUP_ENCRYPTION_KEY_ID on the worker, then run pgwarden backup again',
  ConfigError: 'fix the worker configuration named above and restart the worker',
};

export function backupNotice(o: BackupOutcome): Notice {
  if (o.status === 'succeeded') {
    return {
      event: 'backup.succeeded',
      severity: 'info',
      title: `Backup of ${o.database} succeeded`,
      facts: [
        ['Database', o.database],
        ['Backup', o.backupId],
        ['Size', `${formatBytes(o.storedBytes)} stored (${formatBytes(o.rawBytes)} from pg_dump)`],
        ['Tables', String(o.tables)],
        ['Duration', `${(o.durationMs / 1000).toFixed(1)}s`],
        ['Object', `s3://${o.bucket}/${o.dataKey}`],
        ['Reason', o.reason],
        ['Workflow', o.workflowId],
      ],
    };
  }
  return {
    event: 'backup.failed',
    severity: 'critical',
    title: `Backup of ${o.database} FAILED`,
    facts: [
      ['Database', o.database],
      ['Backup', o.backupId],
      ['Error', `${o.errorType}: ${o.message}`],
      ['Reason', o.reason],
      ['Workflow', o.workflowId],
    ],
    action:
      ACTIONS[o.errorType] ??
      'open the workflow in the Temporal Web UI for the full error and history, fix the cause, and run pgwarden backup again',
  };
}

/** A failed verification is an alert; a passed one with a size warning is a warning. */
export function verificationNotice(r: VerificationRecord): Notice {
  const failed = r.status === 'failed';
  return {
    event: failed ? 'verify.failed' : 'verify.passed',
    severity: failed ? 'critical' : r.warnings.length ? 'warning' : 'info',
    title: failed
      ? `Verification of ${r.database} backup ${r.backupId} FAILED`
      : `Backup ${r.backupId} of ${r.database} verified`,
    facts: [
      ['Database', r.database],
      ['Backup', r.backupId],
      ['Result', failed ? `failed: ${r.failures.join(' | ')}` : 'passed: checksums, decryption, test restore and row counts'],
      ...(r.warnings.length ? ([['Warnings', r.warnings.join(' | ')]] as Array<[string, string]>) : []),
      ['Restore time', r.checks.restore.restoreMs === null ? 'n/a' : `${(r.checks.restore.restoreMs / 1000).toFixed(1)}s`],
      ['Duration', `${(r.durationMs / 1000).toFixed(1)}s`],
      ['Workflow', r.workflow.id],
    ],
    action: failed
      ? 'do not rely on this backup: check the findings above, take a new backup (pgwarden backup) and verify it'
      : r.warnings.length
        ? 'check why the backup size changed (data growth, a dropped table, a failed load)'
        : undefined,
  };
}

export type RestoreOutcome =
  | { status: 'approval-needed'; database: string; backupId: string; workflowId: string; timeoutMinutes: number }
  | { status: 'started'; database: string; backupId: string; target: string; mode: 'new' | 'existing'; workflowId: string }
  | {
      status: 'succeeded';
      database: string;
      backupId: string;
      target: string;
      keptAs: string | null;
      recoveryMs: number;
      backupAgeHours: number | null;
      withinRto: boolean;
      workflowId: string;
    }
  | { status: 'failed'; database: string; backupId: string; target: string; message: string; workflowId: string };

/** The strategy's send_restore_notification: approval needed, start, success (with RTO) and failure. */
export function restoreNotice(o: RestoreOutcome): Notice {
  const common: Array<[string, string]> = [
    ['Database', o.database],
    ['Backup', o.backupId],
  ];
  switch (o.status) {
    case 'approval-needed':
      return {
        event: 'restore.approval-needed',
        severity: 'warning',
        title: `Restore of ${o.database} in place is waiting for approval`,
        facts: [...common, ['Workflow', o.workflowId], ['Times out in', `${o.timeoutMinutes} min`]],
        action: `approve with: pgwarden restore --approve ${o.workflowId} --as <your name> (or send the approveRestoreSignal from the Temporal UI); reject with --reject`,
      };
    case 'started':
      return {
        event: 'restore.started',
        severity: 'info',
        title: `Restore of ${o.database} started`,
        facts: [
          ...common,
          ['Into', `${o.target} (${o.mode === 'new' ? 'new database' : 'in place'})`],
          ['Workflow', o.workflowId],
        ],
      };
    case 'succeeded':
      return {
        event: 'restore.succeeded',
        severity: o.withinRto ? 'info' : 'warning',
        title: `Restore of ${o.database} succeeded`,
        facts: [
          ...common,
          ['Into', o.target],
          ...(o.keptAs ? ([['Previous data kept as', o.keptAs]] as Array<[string, string]>) : []),
          ['Recovery time', `${(o.recoveryMs / 60000).toFixed(1)} min (${OBJECTIVES.restore.text} for a database restore)`],
          ['Backup age', o.backupAgeHours === null ? 'unknown' : `${o.backupAgeHours} h (RPO: 24 h)`],
          ['Workflow', o.workflowId],
        ],
        action: o.keptAs ? `check the application; drop ${o.keptAs} once you no longer need the data it held` : undefined,
      };
    case 'failed':
      return {
        event: 'restore.failed',
        severity: 'critical',
        title: `Restore of ${o.database} FAILED`,
        facts: [...common, ['Into', o.target], ['Error', o.message], ['Workflow', o.workflowId]],
        action: 'see the error above; an in-place restore leaves the existing database untouched unless it finished',
      };
  }
}

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
}

export function cleanupNotice(r: CleanupReport): Notice {
  return {
    event: 'cleanup.done',
    severity: r.warnings.length ? 'warning' : 'info',
    title: `Cleanup of ${r.database} backups: ${r.deleted.length} deleted, ${r.kept.length} kept`,
    facts: [
      ['Database', r.database],
      ['Deleted', r.deleted.length ? r.deleted.join(', ') : 'none'],
      ['Kept', String(r.kept.length)],
      ...(r.locked.length
        ? ([['Locked (kept until)', r.locked.map((l) => `${l.backupId} until ${l.until}`).join(', ')]] as Array<[string, string]>)
        : []),
      ['Leftovers removed', `${r.orphansRemoved} object(s), ${r.uploadsAborted} unfinished upload(s)`],
      ['Lifecycle', r.lifecycle],
      ...(r.warnings.length ? ([['Warnings', r.warnings.join(' | ')]] as Array<[string, string]>) : []),
      ['Workflow', r.workflowId],
    ],
    action: r.warnings.length ? 'check the warnings above' : undefined,
  };
}

export interface CleanupFailed {
  database: string;
  errorType: string;
  message: string;
  workflowId: string;
}

/** A cleanup that stopped: nobody watches a monthly run, so its failure is an alert. */
export function cleanupFailedNotice(f: CleanupFailed): Notice {
  return {
    event: 'cleanup.failed',
    severity: 'critical',
    title: `Cleanup of ${f.database} backups FAILED`,
    facts: [
      ['Database', f.database],
      ['Error', `${f.errorType}: ${f.message}`],
      ['Workflow', f.workflowId],
    ],
    action: `fix the cause named above, then run pgwarden cleanup --database ${f.database} again; it goes on from where this run stopped (a backup whose manifest was deleted is gone already)`,
  };
}

export function freshnessNotice(r: FreshnessReport, workflowId: string): Notice {
  return {
    event: 'backup.missing',
    severity: 'critical',
    title: `Backups of ${r.database} are missing or stale`,
    facts: [
      ['Database', r.database],
      ['Problems', r.problems.join(' | ')],
      ['Newest backup', r.newestBackup ? `${r.newestBackup.backupId} (${r.newestBackup.ageHours} h old)` : 'none'],
      ['Newest verified', r.newestVerified ? `${r.newestVerified.backupId} (${r.newestVerified.ageDays} days old)` : 'none'],
      ['Workflow', workflowId],
    ],
    action:
      'check pgwarden schedules list (paused? failing runs?) and that a worker is running; run pgwarden backup / pgwarden verify now',
  };
}
