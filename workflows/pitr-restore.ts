/**
 * PitrRestoreWorkflow: a server brought back to a point in time, into a new instance on the
 * worker's host (the original is never touched). One activity does the work on disk, with
 * heartbeats saying where it is: base backup unpacked, WAL fetched, replay position.
 */
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PitrRestoreResult } from '../activities/pitr';
import type { RecoveryTarget } from '../src/operations/pitr/target';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';
import { onHost } from './host-queue';

export interface PitrRestoreInput {
  server: string;
  target: RecoveryTarget;
  dataDir?: string;
  port?: number;
  /** Stop the instance when recovery is done and keep only its data directory (default: leave it running). */
  stopAfter?: boolean;
  /** The task queue of the worker on the host the instance is made on (TASK_QUEUE_<SERVER>); default this run's queue. */
  hostQueue?: string;
}

export async function PitrRestoreWorkflow(input: PitrRestoreInput): Promise<PitrRestoreResult> {
  upsertSearchAttributes([
    { key: DatabaseSA, value: input.server },
    { key: OperationSA, value: 'pitr-restore' },
  ]);
  const { restorePointInTime } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '2 minutes',
    // A second attempt would find the first one's data directory: it is refused, never overwritten.
    retry: { maximumAttempts: 1 },
  });
  return restorePointInTime({
    server: input.server,
    target: input.target,
    dataDir: input.dataDir,
    port: input.port,
    keepRunning: !input.stopAfter,
    workflowId: workflowInfo().workflowId,
  });
}

/** Stops an instance a point-in-time restore left running, on the worker that runs it. */
export async function PitrStopWorkflow(input: { dataDir: string; hostQueue?: string }): Promise<void> {
  const { stopPitrInstance } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 2 },
  });
  await stopPitrInstance({ dataDir: input.dataDir });
}
