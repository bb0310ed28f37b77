/**
 * Records of runs that leave no manifest behind: failed backups and restores. Stored beside
 * the backups (`<prefix>/<db>/records/...`) so the report's success rate and recovery times
 * come from the bucket alone and outlive Temporal's history retention.
 */

export const BACKUP_FAILURE_KIND = 'pgwarden.backup-failure';
export const RESTORE_RECORD_KIND = 'pgwarden.restore';

export interface BackupFailureRecord {
  kind: typeof BACKUP_FAILURE_KIND;
  formatVersion: 1;
  database: string;
  backupId: string;
  errorType: string;
  /** The same one line the notice carried; error messages never hold secrets. */
  message: string;
  startedAt: string;
  failedAt: string;
  workflow: { id: string; runId: string };
}

export interface RestoreRecord {
  kind: typeof RESTORE_RECORD_KIND;
  formatVersion: 1;
  database: string;
  backupId: string;
  status: 'succeeded' | 'failed';
  mode: 'new' | 'existing';
  target: string;
  startedAt: string;
  finishedAt: string;
  /** From the request to a usable database, approval waits included (what RTO measures). */
  recoveryMs: number;
  /** The load itself. */
  restoreMs: number | null;
  backupAgeHours: number | null;
  workflow: { id: string; runId: string };
}
