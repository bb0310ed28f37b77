/**
 * Records of runs that end without a manifest (failed backups) and of restores, written to the
 * bucket for the report, and counted in the worker's metrics. Both are idempotent: a retry
 * rewrites the same key with the same content.
 */
import { Context, log } from '@temporalio/activity';
import {
  BACKUP_FAILURE_KIND,
  BackupFailureRecord,
  RESTORE_RECORD_KIND,
  RestoreRecord,
} from '../src/operations/backup/run-records';
import { ActivityDeps } from './deps';
import { failureKey, restoreKey } from '../src/infra/storage/layout';
import { releaseClaim } from './backup-id';

export type BackupFailureInput = Omit<BackupFailureRecord, 'kind' | 'formatVersion' | 'failedAt'>;
export type RestoreRecordInput = Omit<RestoreRecord, 'kind' | 'formatVersion'>;

/** Metrics count the run once, on the first attempt, whether or not the bucket can be written. */
const firstAttempt = () => Context.current().info.attempt === 1;

export function recordActivities(deps: ActivityDeps) {
  return {
    async recordBackupFailure(input: BackupFailureInput): Promise<string | null> {
      if (firstAttempt()) deps.metrics.backupFailed(input.database, input.errorType);
      const record: BackupFailureRecord = {
        kind: BACKUP_FAILURE_KIND,
        formatVersion: 1,
        ...input,
        failedAt: deps.now().toISOString(),
      };
      // A missing bucket is often the failure itself; never create one by writing into it.
      if (!(await deps.bucket.exists())) {
        log.warn('backup failure not recorded: the bucket does not exist', { bucket: deps.config.storage.bucket });
        return null;
      }
      const key = await deps.bucket.putJson(failureKey(deps.config.storage.prefix, input.database, input.backupId), record);
      log.info('backup failure recorded', { key });
      // The record holds the id now.
      await releaseClaim(deps, { database: input.database, backupId: input.backupId, runId: input.workflow.runId });
      return key;
    },

    async recordRestore(input: RestoreRecordInput): Promise<string> {
      if (firstAttempt()) deps.metrics.restoreFinished(input.database, input.status, input.recoveryMs);
      const record: RestoreRecord = { kind: RESTORE_RECORD_KIND, formatVersion: 1, ...input };
      return deps.bucket.putJson(
        restoreKey(deps.config.storage.prefix, input.database, input.finishedAt, input.workflow.id),
        record,
      );
    },
  };
}
