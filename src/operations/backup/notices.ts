/** What a backup tells people when it ends, and the daily check when one is missing: the wording of notices. */
import { cancelledIf, failedOrCancelled, type Notice, type RunFailed } from '../../infra/notify/notice';
import { CANCELLED } from '../../infra/temporal/root-cause';
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
  // Someone stopped it: nothing to mend, but no backup was taken.
  [CANCELLED]: 'nothing was stored; run pgwarden backup when a backup is wanted (the next scheduled one runs as usual)',
};

export function backupNotice(o: BackupOutcome): Notice {
  if (o.status === 'succeeded') {
    return {
      event: 'backup.succeeded',
      about: o.database,
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
    about: o.database,
    ...cancelledIf(o.errorType),
    severity: 'critical',
    title: `Backup of ${o.database} ${failedOrCancelled(o.errorType)}`,
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

/**
 * The daily check could not look (the bucket out of reach, credentials refused): the alarm
 * itself is down, which must not pass in silence as "nothing missing".
 */
export function checkFailedNotice(f: RunFailed): Notice {
  return {
    event: 'backup.check-failed',
    about: f.database,
    ...cancelledIf(f.errorType),
    severity: 'critical',
    title: `Backups of ${f.database} could not be checked`,
    facts: [
      ['Database', f.database],
      ['Error', `${f.errorType}: ${f.message}`],
      ['Workflow', f.workflowId],
    ],
    action: `whether backups are missing is unknown until the check runs: fix the cause named above (often the bucket or its credentials, which the nightly backup needs too), then look with pgwarden restore --list --database ${f.database}`,
  };
}

/**
 * The daily check found nothing missing: sent to the pager alone (a daily mail saying all is
 * well would teach people to skip the one that is not), where it ends the alerts of earlier checks.
 */
export function checkedNotice(database: string, workflowId: string): Notice {
  return {
    event: 'backup.checked',
    about: database,
    severity: 'info',
    title: `Backups of ${database} are complete and fresh`,
    facts: [
      ['Database', database],
      ['Workflow', workflowId],
    ],
  };
}

export function freshnessNotice(r: FreshnessReport, workflowId: string): Notice {
  return {
    event: 'backup.missing',
    about: r.database,
    severity: 'critical',
    title: `Backups of ${r.database} are missing or stale`,
    facts: [
      ['Database', r.database],
      ['Problems', r.problems.join(' | ')],
      ['Newest backup', r.newestBackup ? `${r.newestBackup.backupId} (${r.newestBackup.ageHours} h old)` : 'none'],
      ['Newest verified', r.newestVerified ? `${r.newestVerified.backupId} (${r.newestVerified.ageDays} days old)` : 'none'],
      ...(r.pitr
        ? [
            [
              'Point-in-time window',
              r.pitr.window ? `from ${r.pitr.window.from} (${r.pitr.window.fromBackup}) to WAL ${r.pitr.window.toLsn}` : 'none',
            ] as [string, string],
          ]
        : []),
      ['Workflow', workflowId],
    ],
    action:
      'check pgwarden schedules list (paused? failing runs?) and that a worker is running; run pgwarden backup / pgwarden verify now',
  };
}
