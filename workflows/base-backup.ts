/**
 * BaseBackupWorkflow: a copy of the whole cluster for point-in-time recovery.
 *   1. copy: pg_basebackup (first: the tool's version, and archiving of the server running and not
 *      failing, without which the copy is useless) -> compression -> encryption -> S3, heartbeating
 *   2. WAL: wait until the archive holds the segment the copy ended in (it is useless without),
 *      or the later one its row counts were taken at (verification recovers to there)
 *   3. manifest: written last, it commits the base backup (start and stop LSN, timeline)
 *   4. notify: e-mail and Slack, success or failure; a failed notice never fails the base backup
 */
import { log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureOf, tellDespiteCancel } from './failure-notice';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import {
  baseBackupIdFor,
  baseBackupStoredBytes,
  lastWalNeeded,
  type BaseBackupManifest,
} from '../src/operations/pitr/base-backup';
import type { BaseBackupOutcome } from '../src/operations/pitr/notices';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { onHost } from './host-queue';
import { tagRun } from './tag-run';

export interface BaseBackupInput {
  /** A database id of WAL_ARCHIVE: the server it is on. */
  server: string;
  reason?: string;
  /** The task queue of the worker on the server's host (TASK_QUEUE_<SERVER>); default this run's queue. */
  hostQueue?: string;
  /** How long the archive may take to hold the backup's last segment (default 10 minutes). */
  walTimeoutSeconds?: number;
  /** Full even where BASEBACKUP_INCREMENTALS would make it incremental. */
  full?: boolean;
}

const BASE_BACKUP_INPUT: InputSpec<BaseBackupInput> = {
  server: 'string',
  reason: 'string?',
  hostQueue: 'string?',
  walTimeoutSeconds: 'number?',
  full: 'boolean?',
};

export async function BaseBackupWorkflow(input: BaseBackupInput): Promise<BaseBackupManifest> {
  checkInput(WorkflowType.baseBackup, BASE_BACKUP_INPUT, input);
  tagRun(input.server, 'base-backup');
  const info = workflowInfo();
  const startedAt = info.startTime;
  const backupId = baseBackupIdFor(startedAt);
  const { copyCluster } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
  });
  const { awaitBackupWal, writeBaseBackupManifest } = proxyActivities<Activities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 3 },
  });

  const { notifyBaseBackup } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });
  const reason = input.reason ?? 'manual';
  // Runs recorded before base backups told anyone replay without the notices.
  const notifying = patched('base-backup-notices');

  let manifest: BaseBackupManifest;
  try {
    const copy = await copyCluster({
      server: input.server,
      backupId,
      workflowId: info.workflowId,
      runId: info.runId,
      ...(input.full ? { full: true } : {}),
    });
    // Up to the point the rows were counted at, so verification can recover to it.
    await awaitBackupWal({ server: input.server, walFile: lastWalNeeded(copy), timeoutSeconds: input.walTimeoutSeconds ?? 600 });
    manifest = await writeBaseBackupManifest({
      copy,
      reason,
      startedAt: startedAt.toISOString(),
      workflow: { id: info.workflowId, runId: info.runId },
    });
  } catch (err) {
    if (notifying) {
      const { errorType, message } = failureOf(err, 'the base backup was cancelled');
      log.error('base backup failed', { server: input.server, errorType, message });
      const failed: BaseBackupOutcome = {
        status: 'failed',
        server: input.server,
        errorType,
        message,
        reason,
        workflowId: info.workflowId,
      };
      await tellDespiteCancel('base backup failure notice', () => notifyBaseBackup(failed));
    }
    throw err;
  }
  if (notifying) {
    const succeeded: BaseBackupOutcome = {
      status: 'succeeded',
      server: input.server,
      backupId: manifest.backupId,
      storedBytes: baseBackupStoredBytes(manifest),
      walFrom: `${manifest.start.lsn} (${manifest.start.walFile})`,
      ...(manifest.incremental ? { incrementalOf: manifest.incremental.parent } : {}),
      durationMs: manifest.durationMs,
      reason,
      workflowId: info.workflowId,
    };
    // The base backup is committed: a notice that cannot go out is logged, not its failure.
    await notifyBaseBackup(succeeded).catch((e: Error) =>
      log.warn('base backup notice not sent', { error: rootCauseMessage(e) }),
    );
  }
  return manifest;
}
