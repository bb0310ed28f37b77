/**
 * Records of runs that leave no manifest behind: failed backups and restores. Stored beside
 * the backups (`<prefix>/<db>/records/...`) so the report's success rate and recovery times
 * come from the bucket alone and outlive Temporal's history retention.
 */
import { databaseRoot } from './naming';

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

export const recordsRoot = (prefix: string, database: string) => `${databaseRoot(prefix, database)}records/`;
export const failurePrefix = (prefix: string, database: string) => `${recordsRoot(prefix, database)}backup-failures/`;
export const restorePrefix = (prefix: string, database: string) => `${recordsRoot(prefix, database)}restores/`;
export const failureKey = (prefix: string, database: string, backupId: string) =>
  `${failurePrefix(prefix, database)}${backupId}.json`;
/** Restore records sort by time: the key starts with the finish time. */
export const restoreKey = (prefix: string, database: string, finishedAt: string, workflowId: string) =>
  `${restorePrefix(prefix, database)}${finishedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}_${workflowId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
