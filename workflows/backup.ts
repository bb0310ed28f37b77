/**
 * BackupWorkflow: the strategy's nightly backup_database.sh as a durable run.
 *   1. preflight: database, pg_dump, bucket and key are usable (fails fast on configuration)
 *   2. dump: one snapshot: row counts + pg_dump -> gzip -> encrypt -> S3, heartbeating
 *   3. manifest: written last, it commits the backup
 *   4. notify: e-mail and Slack, success or failure; a failed notice never fails the backup
 */
import {
  ActivityCancellationType,
  CancellationScope,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureOf } from './failure-notice';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import { dataBytes } from '../src/operations/backup/manifest';
import { backupIdFor } from '../src/operations/backup/naming';
import type { BackupOutcome } from '../src/operations/backup/notices';
import type { ChannelResult } from '../src/infra/notify/notifier';
import { backupStatusQuery, BackupStep } from '../src/infra/temporal/messages';
import { retryPolicyFor } from '../src/infra/temporal/retry-window';
import { tagRun } from './tag-run';

export interface BackupInput {
  /** Configured database id. */
  database: string;
  /** Why this backup was taken (scheduled, before a migration, ...); recorded in the manifest. */
  reason?: string;
  /** How long the dump may go without a heartbeat before Temporal retries it elsewhere. */
  heartbeatTimeoutSeconds?: number;
  /** Give up at the first failure instead of retrying transient ones (an operator at the keyboard). */
  failFast?: boolean;
  /** How long to keep retrying while S3 or PostgreSQL is unavailable (BACKUP_RETRY_WINDOW_MINUTES). */
  retryWindowMinutes?: number;
}

const BACKUP_INPUT: InputSpec<BackupInput> = {
  database: 'string',
  reason: 'string?',
  heartbeatTimeoutSeconds: 'number?',
  failFast: 'boolean?',
  retryWindowMinutes: 'number?',
};

export interface BackupSummary {
  database: string;
  backupId: string;
  bucket: string;
  dataKey: string;
  manifestKey: string;
  rawBytes: number;
  storedBytes: number;
  /** Data-only parts beside the main dump (BACKUP_JOBS > 1); absent in older runs. */
  dataParts?: number;
  sha256: string;
  tables: number;
  rows: number;
  durationMs: number;
  encryption: { algorithm: string; keyId: string };
  notifications: ChannelResult[];
}

// Retries ride out an outage of the configured window; a dead worker's dump moves within the heartbeat timeout.
const PREFLIGHT_BACKOFF = { initialSeconds: 5, coefficient: 2, maximumIntervalSeconds: 60 };
const DUMP_BACKOFF = { initialSeconds: 10, coefficient: 2, maximumIntervalSeconds: 60 };
const DEFAULT_RETRY_WINDOW_MINUTES = 10;
const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 30;

/** Preflight and the choice of the backup's id: quick, and retried through the same outage window. */
function beforeDump(windowSeconds: number, failFast: boolean) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: retryPolicyFor(windowSeconds, PREFLIGHT_BACKOFF, failFast),
  });
}
const { writeManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 10 },
});
const { notifyBackup } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });
const { recordBackupFailure } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

function dumpActivity(heartbeatTimeoutSeconds: number, windowSeconds: number, failFast: boolean) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: `${heartbeatTimeoutSeconds} seconds`,
    // Wait until pg_dump is killed and the upload aborted before the workflow moves on.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicyFor(windowSeconds, DUMP_BACKOFF, failFast),
  }).dumpAndUpload;
}

export async function BackupWorkflow(input: BackupInput): Promise<BackupSummary> {
  checkInput(WorkflowType.backup, BACKUP_INPUT, input);
  const info = workflowInfo();
  const startedAt = new Date(info.startTime);
  // The second the run started; the next free one if another run took it (chosen beside preflight).
  let backupId = backupIdFor(startedAt);
  const reason = input.reason?.trim() || 'manual';
  let step: BackupStep = 'preflight';
  setHandler(backupStatusQuery, () => ({ step, backupId, database: input.database }));
  tagRun(input.database, 'backup');
  log.info('backup started', { database: input.database, backupId, reason });
  let choosing: Promise<string> | undefined;

  try {
    const windowSeconds = (input.retryWindowMinutes ?? DEFAULT_RETRY_WINDOW_MINUTES) * 60;
    const failFast = input.failFast ?? false;
    const quick = beforeDump(windowSeconds, failFast);
    // Chosen beside preflight (a round trip less), awaited after it so that preflight's failure is the one told.
    choosing = patched('backup-id-free-second')
      ? quick.chooseBackupId({ database: input.database, from: backupId, runId: info.runId })
      : undefined;
    choosing?.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    await quick.preflight({ database: input.database });
    if (choosing) {
      const chosen = await choosing;
      if (chosen !== backupId)
        log.info('backup id taken by another run; this backup takes the next free second', { backupId: chosen });
      backupId = chosen;
    }
    step = 'dump';
    const dump = await dumpActivity(
      input.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
      windowSeconds,
      failFast,
    )({ database: input.database, backupId, workflowId: info.workflowId, runId: info.runId });
    step = 'manifest';
    const manifest = await writeManifest({
      dump,
      reason,
      workflow: { id: info.workflowId, runId: info.runId },
      startedAt: startedAt.toISOString(),
    });
    step = 'notify';
    const outcome: BackupOutcome = {
      status: 'succeeded',
      database: input.database,
      backupId,
      dataKey: dump.data.key,
      bucket: dump.storage.bucket,
      ...dataBytes(dump),
      tables: dump.tables.length,
      durationMs: manifest.durationMs,
      reason,
      workflowId: info.workflowId,
    };
    const notifications = await notifyBackup(outcome);
    step = 'done';
    return {
      database: input.database,
      backupId,
      bucket: dump.storage.bucket,
      dataKey: dump.data.key,
      manifestKey: dump.keys.manifest,
      ...dataBytes(dump),
      dataParts: dump.dataParts?.length ?? 0,
      sha256: dump.data.sha256,
      tables: dump.tables.length,
      rows: dump.tables.reduce((n, t) => n + t.rows, 0),
      durationMs: manifest.durationMs,
      encryption: { algorithm: dump.encryption.algorithm, keyId: dump.encryption.keyId },
      notifications,
    };
  } catch (err) {
    if (step === 'notify') throw err; // the backup is committed; a notice problem is not a backup failure
    // Preflight failed while the id was being chosen: the failure is recorded under the chosen id,
    // and the record, not the claim, holds it from then on.
    if (step === 'preflight' && choosing && patched('backup-claim-settled')) backupId = await choosing.catch(() => backupId);
    step = 'failed';
    const { errorType, message } = failureOf(err, 'the backup was cancelled');
    log.error('backup failed', { database: input.database, backupId, errorType, message });
    // Record and tell people even when the run itself was cancelled.
    await CancellationScope.nonCancellable(async () => {
      if (patched('backup-failure-record')) {
        // For the report's success rate; a bucket that cannot take it (often the very failure) is logged only.
        await recordBackupFailure({
          database: input.database,
          backupId,
          errorType,
          message,
          startedAt: startedAt.toISOString(),
          workflow: { id: info.workflowId, runId: info.runId },
        }).catch((e: Error) => log.warn('backup failure record not written', { error: e.message }));
      }
      await notifyBackup({
        status: 'failed',
        database: input.database,
        backupId,
        errorType,
        message,
        reason,
        workflowId: info.workflowId,
      });
    });
    throw err;
  }
}
