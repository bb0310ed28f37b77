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
import { claimKey, failureKey, restoreKey } from '../src/infra/storage/layout';
import { findDatabase } from '../src/infra/config/config';

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
      await endOwnClaim(deps, input);
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

/**
 * The failed run's claim on its backup id (backup-id.ts) goes once the failure record holds the
 * id, so a failed backup leaves no object in the data folder. Only this run's: under an id it
 * never chose (a run that failed before choosing), the claim may be another run's.
 */
async function endOwnClaim(deps: ActivityDeps, input: BackupFailureInput): Promise<void> {
  if (!findDatabase(deps.config, input.database)) return;
  const key = claimKey(deps.config.storage.prefix, input.database, input.backupId);
  const claim = await deps.bucket.head(key);
  if (claim?.Metadata?.['pgwarden-run-id'] !== input.workflow.runId) return;
  await deps.bucket
    .delete(key)
    .catch((err: Error) => log.warn('claim of a failed backup not removed; cleanup removes it', { key, error: err.message }));
}
