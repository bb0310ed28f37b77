/**
 * RestorePointWorkflow: a named restore point on a server of WAL_ARCHIVE, recorded where
 * point-in-time restores find it, done once the archive holds it.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MarkedRestorePoint } from '../activities/restore-points';
import { tagRun } from './tag-run';

export interface RestorePointInput {
  server: string;
  name: string;
}

const { markRestorePoint } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

export async function RestorePointWorkflow(input: RestorePointInput): Promise<MarkedRestorePoint> {
  tagRun(input.server, 'restore-point');
  const { workflowId, runId } = workflowInfo();
  return markRestorePoint({ ...input, workflowId, runId });
}
